import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { Browser } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

describe('/api/auth session endpoints', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    await gh.gatehouse.userManager.createUser({
      email: 'api@example.com',
      name: 'Api User',
      password: 'correct horse battery',
    });
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  it('logs in, reports the session and the user, and logs out', async () => {
    const api = new ApiClient(new Browser(), gh.issuer);
    expect((await api.get('/api/auth/is-authenticated')).json).toEqual({ isAuthenticated: false });
    expect((await api.get('/api/auth/current-user')).status).toBe(401);

    const login = await api.post('/api/auth/login', {
      username: 'api@example.com',
      password: 'correct horse battery',
    });
    expect(login.status).toBe(200);
    expect(login.json).toMatchObject({ email: 'api@example.com', name: 'Api User', status: 'active' });
    expect(login.json).not.toHaveProperty('passwordHash');

    expect((await api.get('/api/auth/is-authenticated')).json).toEqual({ isAuthenticated: true });
    expect((await api.get('/api/auth/current-user')).json).toMatchObject({ email: 'api@example.com' });
    const remaining = (await api.get('/api/auth/remaining-timeout-seconds')).json
      .remainingTimeoutSeconds as number;
    expect(remaining).toBeGreaterThan(13 * 24 * 3600);

    const out = await api.post('/api/auth/logout');
    expect(out.status).toBe(200);
    expect(out.json).toEqual({ signOutRedirectUrl: null });
    expect((await api.get('/api/auth/is-authenticated')).json).toEqual({ isAuthenticated: false });
  });

  it('answers a wrong password and an unknown user with the same 400', async () => {
    const api = new ApiClient(new Browser(), gh.issuer);
    const wrong = await api.post('/api/auth/login', {
      username: 'api@example.com',
      password: 'not the password',
    });
    const unknown = await api.post('/api/auth/login', {
      username: 'nobody@example.com',
      password: 'not the password',
    });
    expect(wrong.status).toBe(400);
    expect(unknown.status).toBe(400);
    expect(wrong.json).toEqual(unknown.json);
  });

  it('refuses a POST without the XSRF header, and a body that is not valid', async () => {
    const browser = new Browser();
    const noToken = await browser.request(`${gh.issuer}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'api@example.com', password: 'correct horse battery' }),
    });
    expect(noToken.status).toBe(403);
    const api = new ApiClient(browser, gh.issuer);
    const bad = await api.post('/api/auth/login', { username: 42 });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: 'invalid_input' });
    expect(String(bad.json.message)).toContain('username');
  });

  it('shares the session with the OIDC sign-in: an API login skips the login form', async () => {
    const browser = new Browser();
    const api = new ApiClient(browser, gh.issuer);
    await api.post('/api/auth/login', { username: 'api@example.com', password: 'correct horse battery' });
    await gh.gatehouse.clients.create({
      clientId: 'spa',
      public: true,
      redirectUris: ['http://127.0.0.1:9/cb'],
      postLogoutRedirectUris: [],
      grants: ['authorization_code'],
      scopes: [],
      skipConsent: true,
    });
    const page = await browser.visit(
      `${gh.issuer}/auth?client_id=spa&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('http://127.0.0.1:9/cb')}&code_challenge=${'x'.repeat(43)}&code_challenge_method=S256`,
      (url) => url.startsWith('http://127.0.0.1:9/cb'),
    );
    expect(page.location).toMatch(/^http:\/\/127\.0\.0\.1:9\/cb\?code=/);
  });

  it('answers the password rules anonymously', async () => {
    const config = await new ApiClient(new Browser(), gh.issuer).get('/api/auth/password-config');
    expect(config.json).toMatchObject({ minPasswordLength: 10, maxPasswordLength: 256, requireDigit: false });
  });
});
