import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { Browser, type Page, textOf } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { authorizationRequest, discover } from '../support/relying-party.ts';
import { linkIn, type SmtpSink, startSmtpSink } from '../support/smtp-sink.ts';

const REDIRECT_URI = 'http://127.0.0.1:9/callback';
const USER = { email: 'rex@example.com', name: 'Rex Reset', password: 'old password, well worn' };
const NEW_PASSWORD = 'brand new marmalade sky';

describe('password reset pages, over HTTP with a real SMTP sink', () => {
  let db: TestDatabase;
  let sink: SmtpSink;
  let gh: TestGatehouse;
  let config: oidc.Configuration;

  beforeAll(async () => {
    [db, sink] = await Promise.all([createTestDatabase(), startSmtpSink()]);
    gh = await startGatehouse({ databaseUrl: db.url, env: { SMTP_URL: sink.url } });
    await gh.gatehouse.userManager.createUser(USER);
    const { secret } = await gh.gatehouse.clients.create({
      clientId: 'webapp',
      name: 'Web App',
      public: false,
      redirectUris: [REDIRECT_URI],
      postLogoutRedirectUris: [],
      grants: ['authorization_code', 'refresh_token'],
      scopes: [],
      skipConsent: true,
    });
    config = await discover(gh.issuer, 'webapp', secret);
  });
  afterAll(async () => {
    await gh?.stop();
    await sink?.close();
    await db?.drop();
  });

  /** An application's sign-in: its tokens, or the page Gatehouse showed instead of redirecting. */
  async function signInThroughApp(browser: Browser, password: string) {
    const request = await authorizationRequest(config, REDIRECT_URI);
    const toApp = (url: string) => url.startsWith(REDIRECT_URI);
    const login = await browser.visit(request.url.toString(), toApp);
    expect(login.body).toContain('href="/reset-password"');
    const page = await browser.follow(
      await browser.submit(login, 'form[action$="/login"]', { email: USER.email, password }),
      toApp,
    );
    if (!page.location) return { page };
    const tokens = await oidc.authorizationCodeGrant(config, new URL(page.location), {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    return { page, tokens };
  }

  async function requestReset(email: string): Promise<Page> {
    const browser = new Browser();
    const form = await browser.visit(`${gh.issuer}/reset-password`);
    expect(textOf(form)).toContain('Reset your password');
    return browser.submit(form, 'form[action="/reset-password"]', { email });
  }

  it('answers a known and an unknown address alike, and only the known one gets an email', async () => {
    const unknown = await requestReset('nobody@example.com');
    const known = await requestReset(USER.email);
    expect(known.status).toBe(200);
    expect(unknown.status).toBe(known.status);
    expect(textOf(known)).toContain('Check your email');
    expect(textOf(unknown).replace('nobody@example.com', 'ADDRESS')).toBe(
      textOf(known).replace(USER.email, 'ADDRESS'),
    );
    await sink.waitFor(USER.email);
    expect(sink.messages.filter((m) => m.to === 'nobody@example.com')).toEqual([]);
  });

  it('sets a new password once through the emailed link, and ends every session of the user', async () => {
    // The user is signed in elsewhere first: an application holds a refresh token.
    const elsewhere = new Browser();
    const { tokens } = await signInThroughApp(elsewhere, USER.password);
    expect(tokens?.refresh_token).toBeTruthy();
    const api = new ApiClient(elsewhere, gh.issuer);
    expect((await api.get('/api/auth/is-authenticated')).json).toEqual({ isAuthenticated: true });

    await requestReset(USER.email);
    const link = linkIn(await sink.waitFor(USER.email), `${gh.issuer}/reset-password?token=`);
    const browser = new Browser();
    const form = await browser.visit(link);
    expect(form.status).toBe(200);
    expect(textOf(form)).toContain(`Choose a new password For ${USER.email}`);

    const common = await browser.submit(form, 'form[action="/reset-password/complete"]', {
      password: 'password123',
      confirmPassword: 'password123',
    });
    expect(common.status).toBe(400);
    expect(textOf(common)).toContain('This password is too common');

    const done = await browser.submit(common, 'form[action="/reset-password/complete"]', {
      password: NEW_PASSWORD,
      confirmPassword: NEW_PASSWORD,
    });
    expect(done.status, textOf(done)).toBe(200);
    expect(textOf(done)).toContain('Password changed');

    // Used once: neither opening the link again nor posting its form again works.
    for (const second of [
      await new Browser().visit(link),
      await browser.submit(common, 'form[action="/reset-password/complete"]', {
        password: 'another fine password',
        confirmPassword: 'another fine password',
      }),
    ]) {
      expect(second.status).toBe(400);
      expect(textOf(second)).toContain('This reset link cannot be used');
    }

    const old = await signInThroughApp(new Browser(), USER.password);
    expect(old.page.status).toBe(400);
    expect(textOf(old.page)).toContain('The email address or password is incorrect.');
    expect((await signInThroughApp(new Browser(), NEW_PASSWORD)).tokens?.access_token).toBeTruthy();

    expect((await api.get('/api/auth/is-authenticated')).json).toEqual({ isAuthenticated: false });
    await expect(oidc.refreshTokenGrant(config, tokens?.refresh_token ?? '')).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('asks again for an empty address, and answers a bad token with a clear 400 page', async () => {
    const empty = await requestReset('  ');
    expect(empty.status).toBe(400);
    expect(textOf(empty)).toContain('Enter your email address.');
    for (const token of ['', 'made-up', 'x'.repeat(300)]) {
      const page = await new Browser().visit(`${gh.issuer}/reset-password?token=${token}`);
      expect(page.status).toBe(400);
      expect(textOf(page)).toContain('This reset link cannot be used');
      expect(page.body).toContain('href="/reset-password"');
    }
  });
});
