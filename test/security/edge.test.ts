import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { Browser } from '../support/browser.ts';
import { freePort, startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

/** A raw HTTP/1.1 request, so that Host and X-Forwarded-* say exactly what an attacker sends. */
function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Issue 10, "Why": spoofed proxy headers, NUL bytes in upstream routes, deep JSON, http on https. */
describe('the edge: proxies, hosts and input no route can take', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let base: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // An https issuer reached over plain http, as behind a TLS terminator; the test's own address is
    // the one trusted proxy.
    gh = await startGatehouse({
      databaseUrl: db.url,
      port,
      env: { ISSUER: `https://id.example.test:${port}`, TRUSTED_PROXIES: '127.0.0.1' },
    });
    await gh.gatehouse.userManager.createUser({ email: 'ip@example.com', password: 'a password for ip' });
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  it('never takes the issuer host from Host or X-Forwarded-Host (discovery stays put)', async () => {
    const attempts: Array<Record<string, string>> = [
      { host: 'evil.example' },
      { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http' },
    ];
    for (const headers of attempts) {
      const answer = await raw(`${base}/.well-known/openid-configuration`, { headers });
      expect(answer.status).toBe(200);
      const discovery = JSON.parse(answer.body) as Record<string, string>;
      expect(discovery.authorization_endpoint).toBe(`${gh.issuer}/auth`);
      expect(answer.body).not.toContain('evil.example');
    }
  });

  it('believes X-Forwarded-For only from trusted proxies, and keeps junk out of the audit log', async () => {
    const api = new ApiClient(new Browser(), base);
    const token = await api.xsrfToken();
    const cookie = (await api.browser.jar.getCookieString(base)) || '';
    const attempt = (xff: string) =>
      raw(`${base}/api/auth/login`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-forwarded-for': xff,
          'x-xsrf-token': token,
          cookie,
        },
        body: JSON.stringify({ username: 'ip@example.com', password: 'wrong' }),
      });
    // The spoofed leftmost entry is not believed: the hop our trusted proxy (127.0.0.1) saw is.
    expect((await attempt('6.6.6.6, 203.0.113.9')).status).toBe(400);
    // A 70-character "address" is no address: the audit row is written, with no IP.
    expect((await attempt('x'.repeat(70))).status).toBe(400);
    const failed = await gh.gatehouse
      .db('audit_events')
      .where({ type: 'UserLoginFailed' })
      .orderBy('id')
      .select('ip');
    expect(failed.map((r) => r.ip)).toEqual(['203.0.113.9', null]);
  });

  it('refuses NUL and invalid UTF-8 in any address with a 400, upstream routes included', async () => {
    for (const path of [
      '/logout/upstream-callback?state=%00',
      '/external/x/callback?state=%00',
      '/external/x/callback?code=%ff',
      '/interaction/abc/external/x/callback?state=%00',
      '/account?x=%c0%80',
    ]) {
      const answer = await raw(`${base}${path}`);
      expect(answer.status, path).toBe(400);
      expect(answer.body, path).toContain('not allowed');
    }
    const post = await raw(`${base}/external/%00/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'logout_token=x',
    });
    expect(post.status).toBe(400);
  });

  it('refuses JSON nested 30,000 deep with a 400 on every JSON route', async () => {
    const deep = `${'['.repeat(30_000)}${']'.repeat(30_000)}`;
    const body = `{"username":${deep},"password":"x"}`;
    for (const path of ['/api/auth/login', '/api/admin/v1/users', '/api/auth/request-password-reset']) {
      const answer = await raw(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer abcdefghijklmnopqrstuvwxyz' },
        body,
      });
      expect(answer.status, path).toBeGreaterThanOrEqual(400);
      expect(answer.status, path).toBeLessThan(500);
    }
    const shallow = await raw(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(shallow.status).toBe(400);
    expect(shallow.body).toContain('nested too deeply');
  });

  it('answers plain http to an https issuer without a 500, with Secure cookies', async () => {
    for (const path of ['/api/auth/is-authenticated', '/reset-password', '/invite?token=x']) {
      const answer = await raw(`${base}${path}`, { headers: { accept: 'text/html' } });
      expect(answer.status, path).toBeLessThan(500);
      const cookies = [answer.headers['set-cookie'] ?? []].flat();
      for (const cookie of cookies) expect(cookie, path).toMatch(/;\s*secure/i);
    }
  });
});
