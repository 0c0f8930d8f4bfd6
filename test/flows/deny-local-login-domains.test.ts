import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { Browser, textOf } from '../support/browser.ts';
import { type EntraLikeOp, startEntraLike } from '../support/entra-like-op.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { registerTestApp, signInWithPassword } from '../support/sign-in-flow.ts';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.ts';
import { csrfOf, registerUpstream, signInThroughUpstream } from '../support/upstream-flow.ts';

const CARA = { email: 'cara@contoso.com', password: 'cara local password' };
const PAT = { email: 'pat@example.com', password: 'pat local password' };

/**
 * DenyLocalLogin scoped to email domains (DENY_LOCAL_LOGIN_DOMAINS=contoso.com): users of
 * @contoso.com must use Entra, on the page and in the API; everyone else keeps their password.
 */
describe('DenyLocalLogin for some email domains', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let entra: EntraLikeOp;
  let config: oidc.Configuration;
  let sink: SmtpSink;

  beforeAll(async () => {
    [db, sink] = await Promise.all([createTestDatabase(), startSmtpSink()]);
    gh = await startGatehouse({
      databaseUrl: db.url,
      env: { DENY_LOCAL_LOGIN_DOMAINS: 'Contoso.com', SMTP_URL: sink.url },
    });
    entra = await startEntraLike({
      gatehouseIssuer: gh.issuer,
      alias: 'entra',
      users: [{ sub: 'e-cara', upn: CARA.email, xms_edov: true }],
    });
    // The provider's own switch is on too: the domains scope it.
    await registerUpstream(gh, entra, {
      options: {
        preset: 'entra',
        denyLocalLogin: true,
        autoLink: { mode: 'link-only', matchClaim: 'upn', linkSilently: true },
      },
    });
    for (const user of [CARA, PAT]) await gh.gatehouse.userManager.createUser(user);
    config = await registerTestApp(gh);
  });
  afterAll(async () => {
    await gh?.stop();
    await entra?.close();
    await sink?.close();
    await db?.drop();
  });

  it('keeps the password form, and signs in a user of another domain with their password', async () => {
    const { page, finish } = await signInWithPassword(new Browser(), config, PAT);
    expect((await finish(page)).claims()).toMatchObject({ email: PAT.email, amr: ['pwd'] });
  });

  it('refuses the password of a contoso.com user, saying to use the organisation’s sign-in', async () => {
    const { page } = await signInWithPassword(new Browser(), config, CARA);
    expect(page.status).toBe(403);
    expect(textOf(page)).toContain('Signing in with a password is turned off for your address.');
    const api = await new ApiClient(new Browser(), gh.issuer).post('/api/auth/login', {
      username: CARA.email,
      password: CARA.password,
    });
    expect(api.status).toBe(403);
    expect(api.json).toMatchObject({ error: 'local_login_denied' });
    const other = await new ApiClient(new Browser(), gh.issuer).post('/api/auth/login', {
      username: PAT.email,
      password: PAT.password,
    });
    expect(other.status).toBe(200);
  });

  it('lets the contoso.com user in through Entra', async () => {
    const { page, finish } = await signInThroughUpstream(new Browser(), config, entra, 'e-cara');
    expect((await finish(page)).claims()).toMatchObject({ email: CARA.email, amr: ['fed'] });
  });

  it('answers a reset request for a contoso.com user as for anyone, and mails nothing', async () => {
    const ask = (email: string) =>
      new ApiClient(new Browser(), gh.issuer).post('/api/auth/request-password-reset', { email });
    const [scoped, other] = [await ask(CARA.email), await ask(PAT.email)];
    expect(scoped.status).toBe(200);
    expect(scoped.json).toEqual(other.json);
    const page = async (email: string) => {
      const browser = new Browser();
      const form = await browser.visit(`${gh.issuer}/reset-password`);
      return browser.submit(form, 'form[action="/reset-password"]', { email });
    };
    const [scopedPage, otherPage] = [await page(CARA.email), await page(PAT.email)];
    expect(scopedPage.status).toBe(otherPage.status);
    expect(textOf(scopedPage).replace(CARA.email, 'X')).toBe(textOf(otherPage).replace(PAT.email, 'X'));
    await sink.waitFor(PAT.email);
    // The same work awaited: when it returns, any mail would have been handed to the sink.
    await gh.gatehouse.passwordReset.requestAndWait(CARA.email);
    expect(sink.messages.filter((m) => m.to === CARA.email)).toEqual([]);
  });

  it('does not let a reset link of a contoso.com user set a password', async () => {
    // A link mailed before the domain was scoped (or by an admin): still refused.
    const cara = await gh.gatehouse.userManager.findByEmail(CARA.email);
    if (!cara) throw new Error('no cara');
    const token = await gh.gatehouse.tokens.issue('password_reset', cara.id, 3600, undefined, {
      securityStamp: cara.securityStamp,
    });
    const browser = new Browser();
    const form = await browser.visit(`${gh.issuer}/reset-password?token=${encodeURIComponent(token)}`);
    expect(form.status).toBe(403);
    expect(textOf(form)).toContain('Passwords are turned off');
    const csrf = csrfOf(await browser.visit(`${gh.issuer}/reset-password`));
    const posted = await browser.request(`${gh.issuer}/reset-password/complete`, {
      form: {
        _csrf: csrf,
        token,
        password: 'a new contoso password',
        confirmPassword: 'a new contoso password',
      },
    });
    expect(posted.status).toBe(403);
    const api = await new ApiClient(new Browser(), gh.issuer).post('/api/auth/set-password', {
      token,
      password: 'a new contoso password',
    });
    expect(api.status).toBe(403);
    expect(api.json).toMatchObject({ error: 'local_login_denied' });
    // Nothing changed: a set password would have renewed the security stamp.
    expect((await gh.gatehouse.userManager.findByEmail(CARA.email))?.securityStamp).toBe(cara.securityStamp);
  });

  it('refuses a signed-in contoso.com user’s change of password, on the page and in the API', async () => {
    const browser = new Browser();
    const { page, finish } = await signInThroughUpstream(browser, config, entra, 'e-cara');
    await finish(page);
    const account = await browser.visit(`${gh.issuer}/account`);
    expect(account.status).toBe(200);
    expect(account.body).not.toContain('href="/account/password"');
    const form = await browser.visit(`${gh.issuer}/account/password`);
    expect(form.status).toBe(403);
    expect(textOf(form)).toContain('Passwords are turned off');
    const change = { currentPassword: CARA.password, password: 'a new contoso password' };
    const posted = await browser.request(`${gh.issuer}/account/password`, {
      form: {
        _csrf: csrfOf(await browser.visit(`${gh.issuer}/account/sessions`)),
        ...change,
        confirmPassword: change.password,
      },
    });
    expect(posted.status).toBe(403);
    const api = await new ApiClient(browser, gh.issuer).post('/api/auth/change-password', {
      currentPassword: CARA.password,
      newPassword: change.password,
    });
    expect(api.status).toBe(403);
    expect(api.json).toMatchObject({ error: 'local_login_denied' });
  });

  it('lets a contoso.com invitee accept through Entra only: no password form, a posted password refused', async () => {
    const { link } = await gh.gatehouse.invitations.invite({ email: 'dana@contoso.com' });
    const browser = new Browser();
    const page = await browser.visit(link);
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('name="password"');
    const csrf = csrfOf(page);
    const posted = await browser.request(`${gh.issuer}/invite`, {
      form: { _csrf: csrf, password: 'a dana password', confirmPassword: 'a dana password' },
    });
    expect(posted.status).toBe(403);
    expect(textOf(posted)).toContain('Passwords are turned off');
    const api = new ApiClient(new Browser(), gh.issuer);
    const token = new URL(link).searchParams.get('token') ?? '';
    expect((await api.post('/api/auth/verify-invite', { token })).status).toBe(200);
    const set = await api.post('/api/auth/set-invited-user-password', { password: 'a dana password' });
    expect(set.status).toBe(403);
    expect(set.json).toMatchObject({ error: 'local_login_denied' });
    const dana = await gh.gatehouse.userManager.findByEmail('dana@contoso.com');
    expect(dana?.hasPassword).toBe(false);
  });
});
