import type * as oidc from 'openid-client';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/users/user.ts';
import { sessionCaller } from '../fixtures/admin-http.ts';
import { ApiClient } from '../support/api-client.ts';
import { Browser, textOf } from '../support/browser.ts';
import type { TestGatehouse } from '../support/gatehouse.ts';
import { startAuthorization, TEST_REDIRECT_URI } from '../support/sign-in-flow.ts';
import { signInThroughUpstream, throughUpstream } from '../support/upstream-flow.ts';
import type { UpstreamOp } from '../support/upstream-op.ts';
import { startWithUpstream, type UpstreamSetup } from '../support/upstream-setup.ts';

const PASSWORD = 'correct horse battery';
const WRONG = 'not the password at all';

/**
 * The attacks and mistakes of issue 9's "Why", each from the outside over real HTTP: every way in
 * ends in the one sign-in pipeline, and failures are counted atomically.
 */
describe('every way in passes the same checks', () => {
  let setup: UpstreamSetup;
  let gh: TestGatehouse;
  let corp: UpstreamOp;
  let config: oidc.Configuration;

  beforeAll(async () => {
    setup = await startWithUpstream({
      gatehouse: { env: { TWO_FACTOR_REQUIRED_GROUPS: 'secure', LOCKOUT_DURATION_SECONDS: '600' } },
      users: [
        { sub: 'u-ivy', email: 'ivy@example.com', email_verified: true },
        { sub: 'u-other', email: 'someone.else@example.com', email_verified: true },
        { sub: 'u-sam', email: 'sam@example.com', email_verified: true },
        { sub: 'u-lin', email: 'lin@example.com', email_verified: true },
        { sub: 'u-inv4', email: 'inv4@example.com', email_verified: true },
        { sub: 'u-sec3', email: 'sec3@example.com', email_verified: true },
        { sub: 'u-inv5', email: 'inv5@elsewhere.test', email_verified: true },
      ],
      provider: { options: { bypassTwoFactor: true, autoLink: { autoLinkExternalAccount: true } } },
    });
    ({ gh, upstream: corp, config } = setup);
  });
  afterAll(() => setup?.close());

  async function withTotp(email: string): Promise<{ user: User; secret: string }> {
    const user = await gh.gatehouse.userManager.createUser({ email, password: PASSWORD });
    const { secret } = await gh.gatehouse.twoFactor.beginTotp(user);
    await gh.gatehouse.twoFactor.confirmTotp(user, await generate({ secret }));
    return { user, secret };
  }

  /** A TOTP code the server has not seen yet (the next step's: ±1 step of drift is accepted). */
  const nextCode = (secret: string) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });

  it('an invitee who must use two factors is not signed in by accepting, and enrols at the first sign-in', async () => {
    const { link } = await gh.gatehouse.invitations.invite({ email: 'sec@example.com', groups: ['secure'] });
    const browser = new Browser();
    const api = new ApiClient(browser, gh.issuer);
    const token = new URL(link).searchParams.get('token') ?? '';
    expect((await api.post('/api/auth/verify-invite', { token })).status).toBe(200);
    const accepted = await api.post('/api/auth/set-invited-user-password', { password: PASSWORD });
    expect(accepted.status).toBe(200);
    expect(accepted.json).toMatchObject({ signedIn: false, twoFactorEnrolmentRequired: true });
    expect((await api.get('/api/auth/is-authenticated')).json).toEqual({ isAuthenticated: false });

    // The application gets no tokens from that browser: a sign-in, then the enrolment page.
    const started = await startAuthorization(browser, config);
    expect(started.page.location ?? '').not.toMatch(new RegExp(`^${TEST_REDIRECT_URI}`));
    const posted = await browser.submit(started.page, 'form[action$="/login"]', {
      email: 'sec@example.com',
      password: PASSWORD,
    });
    const next = await browser.follow(posted, (url) => url.startsWith(TEST_REDIRECT_URI));
    expect(textOf(next)).toContain('authenticator');
    expect(next.body).toContain('/two-factor/enrol');
  });

  it('an invitee who must use two factors is not signed in by the invitation page either', async () => {
    const { link } = await gh.gatehouse.invitations.invite({ email: 'sec2@example.com', groups: ['secure'] });
    const browser = new Browser();
    const accepted = await browser.submit(await browser.visit(link), 'form[action="/invite"]', {
      password: PASSWORD,
      confirmPassword: PASSWORD,
    });
    expect(accepted.status).toBe(200);
    expect((await gh.gatehouse.userManager.findByEmail('sec2@example.com'))?.status).toBe('active');
    const api = new ApiClient(browser, gh.issuer);
    expect((await api.get('/api/auth/is-authenticated')).json).toEqual({ isAuthenticated: false });
    const started = await startAuthorization(browser, config);
    expect(started.page.location ?? '').not.toMatch(new RegExp(`^${TEST_REDIRECT_URI}`));
  });

  it('an invitee who must use two factors is not signed in by accepting through an upstream either', async () => {
    const corpProvider = await gh.gatehouse.external.registry.require('corp');
    const bypass = (bypassTwoFactor: boolean) =>
      gh.gatehouse.external.registry.update('corp', {
        options: { ...corpProvider.options, bypassTwoFactor },
      });
    await bypass(false);
    try {
      const { link } = await gh.gatehouse.invitations.invite({
        email: 'sec3@example.com',
        groups: ['secure'],
      });
      const invitee = new Browser();
      const toUpstream = await invitee.submit(
        await invitee.visit(link),
        'form[action="/invite/external/corp"]',
      );
      const done = await throughUpstream(invitee, corp, toUpstream, 'u-sec3');
      expect(done.status).toBe(200);
      expect((await gh.gatehouse.userManager.findByEmail('sec3@example.com'))?.status).toBe('active');
      const api = new ApiClient(invitee, gh.issuer);
      expect((await api.get('/api/auth/is-authenticated')).json).toEqual({ isAuthenticated: false });
    } finally {
      await bypass(true);
    }
  });

  it('an upstream invitation round trip finished in another browser signs nobody in', async () => {
    const { link } = await gh.gatehouse.invitations.invite({ email: 'ivy@example.com' });
    const invitee = new Browser();
    const invitePage = await invitee.visit(link);
    const toUpstream = await invitee.submit(invitePage, 'form[action="/invite/external/corp"]');

    const attacker = new Browser();
    const done = await throughUpstream(attacker, corp, toUpstream, 'u-ivy');
    expect(done.status).toBe(403);
    expect(textOf(done)).toContain('browser where you opened');
    const api = new ApiClient(attacker, gh.issuer);
    expect((await api.get('/api/auth/is-authenticated')).json).toEqual({ isAuthenticated: false });
    expect((await gh.gatehouse.userManager.findByEmail('ivy@example.com'))?.status).toBe('invited');
  });

  it('an upstream invitation is refused for an upstream account with another address', async () => {
    const { link } = await gh.gatehouse.invitations.invite({ email: 'inv2@example.com' });
    const invitee = new Browser();
    const invitePage = await invitee.visit(link);
    const toUpstream = await invitee.submit(invitePage, 'form[action="/invite/external/corp"]');
    const done = await throughUpstream(invitee, corp, toUpstream, 'u-other');
    expect(done.status).toBe(403);
    expect(textOf(done)).toContain('another email address');
    expect((await gh.gatehouse.userManager.findByEmail('inv2@example.com'))?.status).toBe('invited');
  });

  it('an upstream invitation asks the ExternalLogin handlers and keeps to the allowed domains', async () => {
    const acceptUpstream = async (email: string, sub: string) => {
      const { link } = await gh.gatehouse.invitations.invite({ email });
      const invitee = new Browser();
      const toUpstream = await invitee.submit(
        await invitee.visit(link),
        'form[action="/invite/external/corp"]',
      );
      return throughUpstream(invitee, corp, toUpstream, sub);
    };
    const stop = gh.gatehouse.notifications.on('ExternalLogin', (n) => {
      if (n.claims.email === 'inv4@example.com') n.refuse('A handler says no.');
    });
    const vetoed = await acceptUpstream('inv4@example.com', 'u-inv4');
    stop();
    expect(vetoed.status).toBe(403);
    expect(textOf(vetoed)).toContain('A handler says no.');
    expect((await gh.gatehouse.userManager.findByEmail('inv4@example.com'))?.status).toBe('invited');

    const corpProvider = await gh.gatehouse.external.registry.require('corp');
    const only = (allowedEmailDomains: string[]) =>
      gh.gatehouse.external.registry.update('corp', {
        options: {
          ...corpProvider.options,
          autoLink: { ...corpProvider.options.autoLink, allowedEmailDomains },
        },
      });
    await only(['example.com']);
    try {
      const outside = await acceptUpstream('inv5@elsewhere.test', 'u-inv5');
      expect(outside.status).toBe(403);
      expect(textOf(outside)).toContain('cannot sign in here');
      expect((await gh.gatehouse.userManager.findByEmail('inv5@elsewhere.test'))?.status).toBe('invited');
    } finally {
      await only([]);
    }
  });

  it('an invitation the administrator opened to another address is accepted through that upstream account', async () => {
    await gh.gatehouse.userManager.createUser({
      email: 'boss@example.com',
      password: PASSWORD,
      groups: ['admin'],
    });
    const admin = await sessionCaller(gh, { email: 'boss@example.com', password: PASSWORD });
    const invited = await admin.call('POST', '/users/invite', {
      email: 'inv3@example.com',
      allowOtherEmail: true,
    });
    expect(invited.status).toBe(201);
    const link = (await gh.gatehouse.outbox.list({ offset: 0, limit: 50 })).messages
      .find((m) => m.to === 'inv3@example.com')
      ?.links.find((l) => l.includes('/invite?token='));
    const invitee = new Browser();
    const invitePage = await invitee.visit(link ?? '');
    const toUpstream = await invitee.submit(invitePage, 'form[action="/invite/external/corp"]');
    const done = await throughUpstream(invitee, corp, toUpstream, 'u-other');
    expect(done.status).toBe(200);
    const user = await gh.gatehouse.userManager.findByEmail('inv3@example.com');
    expect(user?.status).toBe('active');
    const links = await gh.gatehouse.external.service.linksOf(user as User);
    expect(links.map((l) => l.subject)).toEqual(['u-other']);
  });

  it('a link confirmed with the password is made only when the whole sign-in completes', async () => {
    const owner = await gh.gatehouse.userManager.createUser({ email: 'lin@example.com', password: PASSWORD });
    const stop = gh.gatehouse.notifications.on('ExternalLogin', (n) => {
      if (n.claims.email === 'lin@example.com') n.refuse('Not from this upstream today.');
    });
    const browser = new Browser();
    const asked = await signInThroughUpstream(browser, config, corp, 'u-lin');
    expect(textOf(asked.page)).toContain('Prove it is yours');
    const refused = await browser.submit(asked.page, 'form[action$="/confirm-link"]', { password: PASSWORD });
    stop();
    expect(refused.status).toBe(403);
    expect(textOf(refused)).toContain('Not from this upstream today.');
    expect(await gh.gatehouse.external.service.allLinksOf(owner.id)).toEqual([]);

    // Without the refusal, the same proof links the identity and signs in with both factors.
    const second = new Browser();
    const again = await signInThroughUpstream(second, config, corp, 'u-lin');
    const proved = await second.submit(again.page, 'form[action$="/confirm-link"]', { password: PASSWORD });
    expect((await again.finish(proved)).claims()?.amr).toEqual(expect.arrayContaining(['fed', 'pwd']));
    const links = await gh.gatehouse.external.service.allLinksOf(owner.id);
    expect(links.map((l) => [l.providerAlias, l.subject])).toEqual([['corp', 'u-lin']]);
  });

  it('step-up after an upstream sign-in reports fed+otp and an external sign-in', async () => {
    const { user, secret } = await withTotp('sam@example.com');
    // Linked beforehand, so the upstream sign-in needs no confirmation of the link.
    const corpProvider = await gh.gatehouse.external.registry.require('corp');
    const identity = { sub: 'u-sam', email: user.email, emailVerified: true, claims: {} };
    await gh.gatehouse.external.service.link(user, corpProvider, identity);
    const browser = new Browser();
    const first = await signInThroughUpstream(browser, config, corp, 'u-sam');
    const firstTokens = await first.finish(first.page);
    expect(firstTokens.claims()).toMatchObject({ acr: '1', amr: ['fed'] });

    const stepUp = await startAuthorization(browser, config, { acr_values: '2' });
    const posted = await browser.submit(stepUp.page, 'form[action$="/two-factor"]', {
      provider: 'totp',
      code: await nextCode(secret),
    });
    const tokens = await stepUp.finish(posted);
    expect(tokens.claims()).toMatchObject({ acr: '2', amr: ['fed', 'otp', 'mfa'] });
    const [last] = await gh.gatehouse.audit.list({ affectedUserId: user.id, type: 'UserLoginSuccess' });
    expect(last?.details).toMatchObject({ method: 'external', providerAlias: 'corp' });
  });

  it('a right password does not reset the count while the second factor is pending', async () => {
    const { user } = await withTotp('guess@example.com');
    const api = new ApiClient(new Browser(), gh.issuer);
    const login = () => api.post('/api/auth/login', { username: user.email, password: PASSWORD });
    const wrongCode = () =>
      api.post('/api/auth/two-factor/verify', { provider: 'recovery', code: 'AAAA-BBBB' });
    expect((await login()).status).toBe(402);
    for (let i = 0; i < 4; i++) expect((await wrongCode()).status).toBe(400);
    expect((await login()).status).toBe(402);
    expect((await wrongCode()).status).toBe(400);
    // Five wrong codes in all: the account is locked, the right password no longer gets in.
    expect((await login()).status).toBe(400);
    expect(
      gh.gatehouse.userManager.isLockedOut((await gh.gatehouse.userManager.findById(user.id)) as User),
    ).toBe(true);
  });

  it('24 wrong passwords and the right one in parallel: at most five are evaluated, the right one is refused', async () => {
    const user = await gh.gatehouse.userManager.createUser({
      email: 'burst@example.com',
      password: PASSWORD,
    });
    const clients = await Promise.all(
      Array.from({ length: 25 }, async () => {
        const api = new ApiClient(new Browser(), gh.issuer);
        await api.xsrfToken();
        return api;
      }),
    );
    const answers = await Promise.all(
      clients.map((api, i) =>
        api.post('/api/auth/login', { username: user.email, password: i === 24 ? PASSWORD : WRONG }),
      ),
    );
    expect(answers[24]?.status).toBe(400);
    const failures = await gh.gatehouse.audit.list({ affectedUserId: user.id, type: 'UserLoginFailed' });
    const evaluated = failures.filter((f) => f.details.reason === 'wrong_password');
    expect(evaluated.length).toBeLessThanOrEqual(5);
    expect(failures).toHaveLength(25);
  });

  it('16 wrong TOTP codes and the right one in parallel: the right one does not sign in', async () => {
    const { user, secret } = await withTotp('totp-burst@example.com');
    const api = new ApiClient(new Browser(), gh.issuer);
    expect((await api.post('/api/auth/login', { username: user.email, password: PASSWORD })).status).toBe(
      402,
    );
    const right = await nextCode(secret);
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
    const answers = await Promise.all(
      Array.from({ length: 17 }, (_, i) =>
        api.post('/api/auth/two-factor/verify', { provider: 'totp', code: i === 16 ? right : wrong }),
      ),
    );
    expect(answers[16]?.status).toBe(400);
    expect((await api.get('/api/auth/is-authenticated')).json).toEqual({ isAuthenticated: false });
    const fresh = await gh.gatehouse.userManager.findById(user.id);
    expect(fresh && gh.gatehouse.userManager.isLockedOut(fresh)).toBe(true);
  });
});
