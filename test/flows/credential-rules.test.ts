import { parse } from 'node-html-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, sessionCaller } from '../fixtures/admin-http.ts';
import { ApiClient } from '../support/api-client.ts';
import { Browser } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { linkIn, type SmtpSink, startSmtpSink } from '../support/smtp-sink.ts';
import { registerUpstream, throughUpstream } from '../support/upstream-flow.ts';
import { startUpstream, type UpstreamOp } from '../support/upstream-op.ts';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a brand new passphrase';

/** Issue 9's credential rules, from the side of someone holding a session or an old email. */
describe('credential changes', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let smtp: SmtpSink;

  beforeAll(async () => {
    db = await createTestDatabase();
    smtp = await startSmtpSink();
    gh = await startGatehouse({ databaseUrl: db.url, env: { SMTP_URL: smtp.url } });
  });
  afterAll(async () => {
    await gh?.stop();
    await smtp?.close();
    await db?.drop();
  });

  async function signedIn(email: string, browser = new Browser()): Promise<ApiClient> {
    const api = new ApiClient(browser, gh.issuer);
    expect((await api.post('/api/auth/login', { username: email, password: PASSWORD })).status).toBe(200);
    return api;
  }

  it('posting "use email codes" again does not turn email codes off', async () => {
    const user = await gh.gatehouse.userManager.createUser({
      email: 'mail2fa@example.com',
      password: PASSWORD,
    });
    await gh.gatehouse.twoFactor.beginEmail(user);
    const code = (await smtp.waitFor(user.email)).text.match(/\b(\d{6})\b/)?.[1] ?? '';
    await gh.gatehouse.twoFactor.confirmEmail(user, code);

    const browser = new Browser();
    const api = new ApiClient(browser, gh.issuer);
    expect((await api.post('/api/auth/login', { username: user.email, password: PASSWORD })).status).toBe(
      402,
    );
    expect((await api.post('/api/auth/two-factor/send', { provider: 'email' })).status).toBe(200);
    const signInCode = (await smtp.waitFor(user.email)).text.match(/\b(\d{6})\b/)?.[1] ?? '';
    expect(
      (await api.post('/api/auth/two-factor/verify', { provider: 'email', code: signInCode })).status,
    ).toBe(200);

    const overview = await browser.visit(`${gh.issuer}/account/two-factor`);
    const csrf = parse(overview.body).querySelector('input[name="_csrf"]')?.getAttribute('value') ?? '';
    const again = await browser.request(`${gh.issuer}/account/two-factor/email`, { form: { _csrf: csrf } });
    expect(again.status).toBe(409);
    expect(await gh.gatehouse.twoFactor.enabledProviders(user)).toContain('email');
  });

  it('change-password answers a wrong current password as a right one, and counts it', async () => {
    const user = await gh.gatehouse.userManager.createUser({
      email: 'oracle@example.com',
      password: PASSWORD,
    });
    const api = await signedIn(user.email);
    const change = (currentPassword: string, newPassword: string) =>
      api.post('/api/auth/change-password', { currentPassword, newPassword });
    const wrongCurrent = await change('not my password', 'short');
    const rightCurrent = await change(PASSWORD, 'short');
    expect(wrongCurrent.status).toBe(rightCurrent.status);
    expect(wrongCurrent.json).toEqual(rightCurrent.json);

    // With an acceptable new password, each wrong current password is a failed attempt: five lock.
    for (let i = 0; i < 5; i++) expect((await change(`guess ${i}`, NEW_PASSWORD)).status).toBe(400);
    const again = new ApiClient(new Browser(), gh.issuer);
    const login = await again.post('/api/auth/login', { username: user.email, password: PASSWORD });
    expect(login.status).toBe(400);
  });

  it('a reset link dies when an administrator sets a new password', async () => {
    const user = await gh.gatehouse.userManager.createUser({
      email: 'stale@example.com',
      password: PASSWORD,
    });
    await gh.gatehouse.passwordReset.requestAndWait(user.email);
    const link = linkIn(await smtp.waitFor(user.email), `${gh.issuer}/reset-password?token=`);
    await gh.gatehouse.userManager.resetPassword(user.id, 'set by the administrator');
    const token = new URL(link).searchParams.get('token') ?? '';
    const api = new ApiClient(new Browser(), gh.issuer);
    const used = await api.post('/api/auth/set-password', { token, password: NEW_PASSWORD });
    expect(used.status).toBe(400);
    expect(used.json).toMatchObject({ error: 'token_invalid' });
    expect((await new Browser().visit(link)).status).toBe(400);
  });

  it('a user without a local password gets none through "forgot password"', async () => {
    const user = await gh.gatehouse.userManager.createUser({ email: 'upstream-only@example.com' });
    const api = new ApiClient(new Browser(), gh.issuer);
    expect((await api.post('/api/auth/request-password-reset', { email: user.email })).status).toBe(200);
    await gh.gatehouse.passwordReset.requestAndWait(user.email);
    const requested = await gh.gatehouse.audit.list({
      affectedUserId: user.id,
      type: 'UserForgotPasswordRequested',
    });
    expect(requested).toEqual([]);
    expect(smtp.messages.filter((m) => m.to.includes(user.email))).toEqual([]);
  });

  it('an administrator allows an upstream-only user a local password: then "forgot password" gives one', async () => {
    await gh.gatehouse.userManager.createUser({ ...ADMIN, groups: ['admin'] });
    const admin = await sessionCaller(gh, ADMIN);
    const user = await gh.gatehouse.userManager.createUser({ email: 'allowed-local@example.com' });
    const allowed = await admin.call('PATCH', `/users/${user.id}`, { localPasswordAllowed: true });
    expect(allowed.status).toBe(200);
    expect(allowed.json).toMatchObject({ hasPassword: false, localPasswordAllowed: true });

    const api = new ApiClient(new Browser(), gh.issuer);
    expect((await api.post('/api/auth/request-password-reset', { email: user.email })).status).toBe(200);
    const link = linkIn(await smtp.waitFor(user.email), `${gh.issuer}/reset-password?token=`);
    const token = new URL(link).searchParams.get('token') ?? '';
    expect((await api.post('/api/auth/set-password', { token, password: NEW_PASSWORD })).status).toBe(200);
    const login = await api.post('/api/auth/login', { username: user.email, password: NEW_PASSWORD });
    expect(login.status).toBe(200);

    // Taken back: a user who again has no password gets no link.
    const other = await gh.gatehouse.userManager.createUser({ email: 'taken-back@example.com' });
    await admin.call('PATCH', `/users/${other.id}`, { localPasswordAllowed: true });
    expect(
      (await admin.call('PATCH', `/users/${other.id}`, { localPasswordAllowed: false })).json,
    ).toMatchObject({ localPasswordAllowed: false });
    await gh.gatehouse.passwordReset.requestAndWait(other.email);
    expect(smtp.messages.filter((m) => m.to.includes(other.email))).toEqual([]);
  });
});

describe('recent authentication for credential changes', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  const MAX_AGE_MS = 3000;

  let corp: UpstreamOp;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({
      databaseUrl: db.url,
      env: { PRIVILEGED_SESSION_MAX_AGE_SECONDS: String(MAX_AGE_MS / 1000) },
    });
    corp = await startUpstream({
      gatehouseIssuer: gh.issuer,
      alias: 'corp',
      users: [{ sub: 'u-una', email: 'una@example.com', email_verified: true }],
    });
    await registerUpstream(gh, corp, { displayName: 'Corp ID', options: {} });
  });
  afterAll(async () => {
    await gh?.stop();
    await corp?.close();
    await db?.drop();
  });

  async function staleSession(email: string): Promise<{ browser: Browser; api: ApiClient }> {
    await gh.gatehouse.userManager.createUser({ email, password: PASSWORD });
    const browser = new Browser();
    const api = new ApiClient(browser, gh.issuer);
    expect((await api.post('/api/auth/login', { username: email, password: PASSWORD })).status).toBe(200);
    await new Promise((r) => setTimeout(r, MAX_AGE_MS + 1100));
    return { browser, api };
  }

  it('an old session cannot turn on a second factor or unlink a provider without signing in again', async () => {
    const { browser, api } = await staleSession('idle@example.com');
    const setup = await browser.request(`${gh.issuer}/account/two-factor/authenticator`);
    expect(setup.status).toBe(303);
    expect(setup.location).toContain('/console/sign-in?');
    const overview = await browser.visit(`${gh.issuer}/account/two-factor`);
    const csrf = parse(overview.body).querySelector('input[name="_csrf"]')?.getAttribute('value') ?? '';
    const codes = await browser.request(`${gh.issuer}/account/two-factor/recovery-codes`, {
      form: { _csrf: csrf },
    });
    expect(codes.status).toBe(303);
    expect(codes.location).toContain(`returnTo=${encodeURIComponent('/account/two-factor')}`);
    const unlink = await api.post('/api/auth/unlink-login', { loginProvider: 'corp', providerKey: 'x' });
    expect(unlink.status).toBe(403);
    expect(unlink.json).toMatchObject({ error: 'reauthentication_required' });
  });

  it('signing in again (through the sign-in page) returns to the page asked for, which then works', async () => {
    const { browser } = await staleSession('again@example.com');
    const signIn = await browser.visit(`${gh.issuer}/account/two-factor/authenticator`);
    // prompt=login: the password again, even though the session still exists.
    expect(signIn.body).toContain('name="password"');
    const posted = await browser.submit(signIn, 'form[action$="/login"]', {
      email: 'again@example.com',
      password: PASSWORD,
    });
    const back = await browser.follow(posted);
    expect(back.url).toBe(`${gh.issuer}/account/two-factor/authenticator`);
    expect(back.status).toBe(200);
    expect(back.body).toContain('name="code"');
  });

  it('someone who signs in only upstream signs in again there, and comes back to the page', async () => {
    const una = await gh.gatehouse.userManager.createUser({ email: 'una@example.com' });
    const provider = await gh.gatehouse.external.registry.require('corp');
    await gh.gatehouse.external.service.link(una, provider, {
      sub: 'u-una',
      email: una.email,
      emailVerified: true,
      claims: {},
    });
    const browser = new Browser();
    const signIn = await browser.visit(`${gh.issuer}/account`);
    const first = await browser.submit(signIn, 'form[action$="/external/corp"]');
    const account = await throughUpstream(browser, corp, first, 'u-una');
    expect(account.url).toBe(`${gh.issuer}/account`);
    await new Promise((r) => setTimeout(r, MAX_AGE_MS + 1100));

    const again = await browser.visit(`${gh.issuer}/account/two-factor/authenticator`);
    const toUpstream = await browser.submit(again, 'form[action$="/external/corp"]');
    expect(toUpstream.location).toContain('prompt=login');
    const back = await throughUpstream(browser, corp, toUpstream, 'u-una');
    expect(back.url).toBe(`${gh.issuer}/account/two-factor/authenticator`);
    expect(back.body).toContain('name="code"');
  });
});
