import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { Browser, type Page, textOf } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { registerTestApp, startAuthorization, TEST_REDIRECT_URI } from '../support/sign-in-flow.ts';
import { linkIn, type SmtpSink, startSmtpSink } from '../support/smtp-sink.ts';

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
    config = await registerTestApp(gh, {
      clientId: 'webapp',
      name: 'Web App',
      public: false,
      grants: ['authorization_code', 'refresh_token'],
    });
  });
  afterAll(async () => {
    await gh?.stop();
    await sink?.close();
    await db?.drop();
  });

  /** An application's sign-in: its tokens, or the page Gatehouse showed instead of redirecting. */
  async function signInThroughApp(browser: Browser, password: string) {
    const started = await startAuthorization(browser, config);
    expect(started.page.body).toContain('href="/reset-password"');
    const page = await browser.follow(
      await browser.submit(started.page, 'form[action$="/login"]', { email: USER.email, password }),
      (url) => url.startsWith(TEST_REDIRECT_URI),
    );
    if (!page.location) return { page };
    return { page, tokens: await started.finish(page) };
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
