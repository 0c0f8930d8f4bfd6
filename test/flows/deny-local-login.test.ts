import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { Browser, type Page, textOf } from '../support/browser.ts';
import type { TestGatehouse } from '../support/gatehouse.ts';
import { startAuthorization } from '../support/sign-in-flow.ts';
import { csrfOf, signInThroughUpstream, throughUpstream } from '../support/upstream-flow.ts';
import type { UpstreamOp } from '../support/upstream-op.ts';
import { startWithUpstream, type UpstreamSetup } from '../support/upstream-setup.ts';

/** A user from before passwords were turned off: the password is right, and no longer enough. */
const LEE = { email: 'lee@example.com', name: 'Lee Local', password: 'a password from before' };
const INVITEE = 'ivy@example.com';
const PASSWORDS_OFF = 'Passwords are turned off';

describe('DenyLocalLogin: one provider turns local passwords off everywhere', () => {
  let setup: UpstreamSetup;
  let gh: TestGatehouse;
  let corp: UpstreamOp;
  let config: oidc.Configuration;
  /** Ivy's browser, signed in once she has accepted her invitation through Corp ID. */
  const ivy = new Browser();

  beforeAll(async () => {
    setup = await startWithUpstream({
      users: [
        { sub: 'u-ivy', email: INVITEE, email_verified: true, name: 'Ivy Upstream' },
        { sub: 'u-lee', email: LEE.email, email_verified: true },
      ],
      provider: { options: { denyLocalLogin: true } },
    });
    ({ gh, upstream: corp, config } = setup);
    await gh.gatehouse.userManager.createUser(LEE);
  });
  afterAll(() => setup?.close());

  /** A 403 page that says passwords are off, with no form to fill in. */
  function expectPasswordsOffPage(page: Page): void {
    expect(page.status, page.url).toBe(403);
    expect(textOf(page)).toContain(PASSWORDS_OFF);
    expect(textOf(page)).toContain('Corp ID');
    expect(page.body).not.toContain('<form');
  }

  function expectRefusedCall(response: { status: number; json: Record<string, unknown> }): void {
    expect(response.status).toBe(403);
    expect(response.json).toMatchObject({
      error: 'local_login_denied',
      message: 'Signing in with a password is turned off. Use your organisation’s sign-in.',
    });
  }

  it('shows no password field on the sign-in page and refuses a password POST with 403', async () => {
    const browser = new Browser();
    const { page } = await startAuthorization(browser, config);
    expect(textOf(page)).toContain('Sign in with Corp ID');
    expect(page.body).not.toContain('type="password"');
    expect(page.body).not.toContain('/reset-password');

    const uid = page.body.match(/action="\/interaction\/([^/"]+)\/external\/corp"/)?.[1];
    const posted = await browser.request(`${gh.issuer}/interaction/${uid}/login`, {
      form: { _csrf: csrfOf(page), email: LEE.email, password: LEE.password },
    });
    expect(posted.status).toBe(403);
    expect(textOf(posted)).toContain('Signing in with a password is turned off.');
  });

  it('refuses /api/auth/login with a password (403), correct or not', async () => {
    const api = new ApiClient(new Browser(), gh.issuer);
    expectRefusedCall(await api.post('/api/auth/login', { username: LEE.email, password: LEE.password }));
    expectRefusedCall(await api.post('/api/auth/login', { username: LEE.email, password: 'wrong' }));
    expect((await api.get('/api/auth/is-authenticated')).json).toEqual({ isAuthenticated: false });
  });

  it('refuses the password reset: its pages and its API', async () => {
    const browser = new Browser();
    const api = new ApiClient(browser, gh.issuer);
    expectPasswordsOffPage(await browser.visit(`${gh.issuer}/reset-password`));
    expectPasswordsOffPage(await browser.visit(`${gh.issuer}/reset-password?token=from-an-old-email`));
    const xsrf = { 'x-xsrf-token': await api.xsrfToken() };
    for (const [path, form] of [
      ['/reset-password', { email: LEE.email }],
      ['/reset-password/complete', { token: 'from-an-old-email', password: 'x', confirmPassword: 'x' }],
    ] as const) {
      expectPasswordsOffPage(await browser.request(`${gh.issuer}${path}`, { form, headers: xsrf }));
    }
    expectRefusedCall(await api.post('/api/auth/request-password-reset', { email: LEE.email }));
    expectRefusedCall(
      await api.post('/api/auth/set-password', { token: 'from-an-old-email', password: 'new password here' }),
    );
    const lee = await gh.gatehouse.userManager.findByEmail(LEE.email);
    const requested = await gh.gatehouse.audit.list({
      affectedUserId: lee?.id,
      type: 'UserForgotPasswordRequested',
    });
    expect(requested).toEqual([]);
    // A signed-out visit to the account pages lands on the sign-in page, which does not point to the
    // reset either.
    const signedOut = await browser.visit(`${gh.issuer}/account`);
    expect(signedOut.status).toBe(200);
    expect(signedOut.url).toContain('/interaction/');
    expect(signedOut.body).not.toContain('/reset-password');
  });

  it('completes an invitation by signing in upstream: linked, approved and signed in', async () => {
    const { link } = await gh.gatehouse.invitations.invite({ email: INVITEE, name: 'Ivy Invitee' });
    const invite = await ivy.visit(link);
    expect(invite.status).toBe(200);
    expect(textOf(invite)).toContain('Accept your invitation');
    expect(textOf(invite)).toContain('Sign in with Corp ID');
    expect(invite.body).not.toContain('type="password"');

    // The password ways are refused, on the page and in the API, and leave the invitation usable.
    const xsrf = { 'x-xsrf-token': csrfOf(invite) };
    expectPasswordsOffPage(
      await ivy.request(`${gh.issuer}/invite`, {
        form: { _csrf: csrfOf(invite), password: 'my own password', confirmPassword: 'my own password' },
        headers: xsrf,
      }),
    );
    const api = new ApiClient(ivy, gh.issuer);
    expectRefusedCall(await api.post('/api/auth/set-invited-user-password', { password: 'my own password' }));

    const toUpstream = await ivy.submit(invite, 'form[action="/invite/external/corp"]');
    expect(new URL(toUpstream.location ?? '').searchParams.get('login_hint')).toBe(INVITEE);
    const done = await throughUpstream(ivy, corp, toUpstream, 'u-ivy');
    expect(done.status).toBe(200);
    expect(textOf(done)).toContain(`Your account ${INVITEE} is ready. You sign in with Corp ID.`);

    const user = await gh.gatehouse.userManager.findByEmail(INVITEE);
    if (!user) throw new Error('the invited user is gone');
    expect(user).toMatchObject({ status: 'active', hasPassword: false });
    const links = await gh.gatehouse.external.service.linksOf(user);
    expect(links).toMatchObject([{ providerAlias: 'corp', subject: 'u-ivy' }]);
    const audit = await gh.gatehouse.audit.list({ affectedUserId: user.id });
    expect(audit.map((e) => e.type)).toEqual(
      expect.arrayContaining(['UserInviteAccepted', 'ExternalLoginLinked']),
    );

    expect((await api.get('/api/auth/is-authenticated')).json).toEqual({ isAuthenticated: true });
    // The partial sign-in of the invitee is over.
    expect((await api.get('/api/auth/current-invited-user')).status).toBe(401);
    const account = await ivy.visit(`${gh.issuer}/account`);
    expect(account.status).toBe(200);
    expect(textOf(account)).toContain(INVITEE);
    expect(textOf(account)).toContain('Passwords are turned off here');
    expect(account.body).not.toContain('href="/account/password"');
    // The link is used up.
    expect((await new Browser().visit(link)).status).toBe(400);
    // Later sign-ins go through Corp ID and find the link.
    const later = await signInThroughUpstream(new Browser(), config, corp, 'u-ivy');
    expect((await later.finish(later.page)).claims()?.sub).toBe(user.id);
  });

  it('refuses change-password on the page and in the API', async () => {
    expectPasswordsOffPage(await ivy.visit(`${gh.issuer}/account/password`));
    const api = new ApiClient(ivy, gh.issuer);
    const form = {
      currentPassword: 'x',
      password: 'new password here',
      confirmPassword: 'new password here',
    };
    const headers = { 'x-xsrf-token': await api.xsrfToken() };
    expectPasswordsOffPage(await ivy.request(`${gh.issuer}/account/password`, { form, headers }));
    expectRefusedCall(
      await api.post('/api/auth/change-password', { currentPassword: 'x', newPassword: 'y' }),
    );
  });

  it('refuses to unlink the only provider of a user whose password no longer counts', async () => {
    const service = gh.gatehouse.external.service;
    const lee = await gh.gatehouse.userManager.findByEmail(LEE.email);
    const provider = await gh.gatehouse.external.registry.require('corp');
    if (!lee) throw new Error('Lee is gone');
    await service.link(lee, provider, { sub: 'u-lee', emailVerified: true, claims: {} });

    const browser = new Browser();
    const signedIn = await signInThroughUpstream(browser, config, corp, 'u-lee');
    await signedIn.finish(signedIn.page);
    const api = new ApiClient(browser, gh.issuer);
    const refused = await api.post('/api/auth/unlink-login', { loginProvider: 'corp', providerKey: 'u-lee' });
    expect(refused.status).toBe(400);
    expect(refused.json.message).toBe('This is your only way to sign in; link another provider first.');
  });
});
