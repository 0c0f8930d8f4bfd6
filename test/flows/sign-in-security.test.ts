import { parse } from 'node-html-parser';
import * as oidc from 'openid-client';
import { Cookie } from 'tough-cookie';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, type Page, textOf } from '../support/browser.ts';
import { freePort, startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

const REDIRECT_URI = 'http://127.0.0.1:9/callback';
const EMAIL = 'secure@example.com';
const PASSWORD = 'correct horse battery';
const HOSTILE = '"><script>alert(1)</script>';

/**
 * A browser in front of Gatehouse's TLS-terminating proxy: Gatehouse sees `X-Forwarded-Proto:
 * https` and builds https URLs, which this browser takes back to the plain-http port. The cookie
 * jar treats loopback as a secure context, so it keeps Secure and `__Host-` cookies as a browser would.
 */
class BehindTlsProxy extends Browser {
  /** Every Set-Cookie header received, in order. */
  readonly setCookies: string[] = [];

  override async request(...[url, init = {}]: Parameters<Browser['request']>): Promise<Page> {
    const page = await super.request(url.replace(/^https:/, 'http:'), {
      ...init,
      headers: { 'x-forwarded-proto': 'https', ...init.headers },
    });
    this.setCookies.push(...page.headers.getSetCookie());
    return page;
  }
}

describe('sign-in security under an https issuer behind a proxy', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let base: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    gh = await startGatehouse({
      databaseUrl: db.url,
      port,
      env: { ISSUER: `https://127.0.0.1:${port}`, TRUST_PROXY: 'true' },
    });
    await gh.gatehouse.userManager.createUser({ email: EMAIL, name: 'S', password: PASSWORD, groups: [] });
    await gh.gatehouse.clients.create({
      clientId: 'webapp',
      name: 'Web App',
      public: true,
      redirectUris: [REDIRECT_URI],
      postLogoutRedirectUris: [],
      grants: ['authorization_code'],
      scopes: [],
      skipConsent: false,
    });
  });

  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  async function loginPage(browser: Browser, params: Record<string, string> = {}): Promise<Page> {
    const url = new URL('/auth', base);
    const challenge = await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier());
    const query = {
      client_id: 'webapp',
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'openid email',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...params,
    };
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const page = await browser.visit(url.toString());
    expect(page.status, page.body).toBe(200);
    expect(page.body).toContain('name="password"');
    return page;
  }

  const signIn = (browser: Browser, page: Page, email: string, password: string) =>
    browser.submit(page, 'form[action$="/login"]', { email, password });

  const alertOf = (page: Page) => parse(page.body).querySelector('[role="alert"]')?.textContent.trim();

  it('answers a wrong password and an unknown user identically', async () => {
    const browser = new BehindTlsProxy();
    const wrongPassword = await signIn(browser, await loginPage(browser), EMAIL, 'not the password at all');
    const unknownUser = await signIn(browser, await loginPage(browser), 'nobody@example.com', PASSWORD);

    expect(wrongPassword.status).toBe(400);
    expect(unknownUser.status).toBe(wrongPassword.status);
    expect(alertOf(wrongPassword)).toBe('The email address or password is incorrect.');
    expect(alertOf(unknownUser)).toBe(alertOf(wrongPassword));
    // The whole visible page too; only attribute values (CSRF token, echoed email) may differ.
    expect(textOf(unknownUser)).toBe(textOf(wrongPassword));
  });

  it.each([
    ['without a CSRF token', { _csrf: '' }],
    ['with a forged CSRF token', { _csrf: 'forged-token' }],
  ])('refuses a login POST %s and does not sign in', async (_, forged) => {
    const browser = new BehindTlsProxy();
    const page = await loginPage(browser);
    const refused = await browser.submit(page, 'form[action$="/login"]', {
      email: EMAIL,
      password: PASSWORD,
      ...forged,
    });
    expect(refused.status).toBe(403);
    expect(refused.location).toBeUndefined();
    expect(textOf(refused)).toContain('The form has expired');
    expect(refused.headers.getSetCookie().join('\n')).not.toContain('gh_session');
    // The sign-in is still waiting for the password.
    const again = await browser.request(page.url);
    expect(again.body).toContain('name="password"');
  });

  it('sets every cookie HttpOnly (but the JavaScript-readable CSRF token), SameSite=Lax and Secure', async () => {
    const browser = new BehindTlsProxy();
    let page = await signIn(browser, await loginPage(browser), EMAIL, PASSWORD);
    page = await browser.follow(page, (url) => url.startsWith(REDIRECT_URI));
    expect(page.body).toContain('Allow access?');
    page = await browser.submit(page, 'form[action$="/consent"]', {}, { name: 'decision', value: 'allow' });
    page = await browser.follow(page, (url) => url.startsWith(REDIRECT_URI));
    expect(page.location).toMatch(/[?&]code=/);

    const cookies = browser.setCookies.map((header) => Cookie.parse(header));
    const names = new Set(cookies.map((c) => c?.key));
    expect(names).toContain('__Host-gh_session');
    expect(names).toContain('__Secure-gh_interaction');
    expect(names).toContain('__Host-gh_csrf');
    for (const cookie of cookies) {
      expect(cookie, String(cookie)).toBeDefined();
      expect(cookie?.secure, String(cookie)).toBe(true);
      expect(cookie?.sameSite, String(cookie)).toBe('lax');
      // The XSRF token is a double-submit value for JavaScript callers, not a secret.
      if (!cookie?.key.startsWith('__Host-gh_xsrf')) expect(cookie?.httpOnly, String(cookie)).toBe(true);
    }
    const session = cookies.find((c) => c?.key === '__Host-gh_session');
    expect(session?.path).toBe('/');
    expect(session?.domain).toBeNull();
  });

  // The pages' one script is ours, from our origin; nothing a user typed becomes a script.
  const OUR_SCRIPT = '<script src="/assets/gatehouse.js" defer>';
  const scriptTags = (html: string) => html.match(/<script\b[^>]*>/gi) ?? [];

  it('escapes a hostile login_hint and a hostile email in the login page', async () => {
    const browser = new BehindTlsProxy();
    const page = await loginPage(browser, { login_hint: HOSTILE });
    expect(scriptTags(page.body)).toEqual([OUR_SCRIPT]);
    expect(parse(page.body).querySelector('#email')?.getAttribute('value')).toBe(HOSTILE);

    const failed = await signIn(browser, page, `${HOSTILE}@example.com`, 'whatever it is');
    expect(failed.status).toBe(400);
    expect(scriptTags(failed.body)).toEqual([OUR_SCRIPT]);
    expect(parse(failed.body).querySelector('#email')?.getAttribute('value')).toBe(`${HOSTILE}@example.com`);
  });

  it('sends the security headers, and a content security policy on every page of ours', async () => {
    const browser = new BehindTlsProxy();
    const login = await loginPage(browser);
    const pages: Array<[string, Page]> = [
      ['login page', login],
      ['our error page', await browser.request(`${base}/interaction/nope`)],
      ['oidc-provider error page', await browser.request(`${base}/auth?client_id=nobody`)],
      ['failed sign-in', await signIn(browser, login, EMAIL, 'not the password at all')],
      ['CSRF refusal', await browser.submit(login, 'form[action$="/login"]', { _csrf: 'x' })],
    ];
    for (const [name, page] of pages) {
      expect(page.headers.get('content-type'), name).toMatch(/^text\/html/);
      expect(page.headers.get('x-content-type-options'), name).toBe('nosniff');
      expect(page.headers.get('x-frame-options'), name).toBe('DENY');
      expect(page.headers.get('referrer-policy'), name).toBe('no-referrer');
      expect(page.headers.get('strict-transport-security'), name).toMatch(/max-age=\d+/);
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp, name).toContain("default-src 'none'");
      expect(csp, name).toContain("frame-ancestors 'none'");
      expect(csp, name).toContain("script-src 'self'");
      expect(csp, name).not.toMatch(/unsafe-inline|unsafe-eval/);
    }
    const discovery = await browser.request(`${base}/.well-known/openid-configuration`);
    expect(discovery.headers.get('x-content-type-options')).toBe('nosniff');
    expect(JSON.parse(discovery.body).issuer).toBe(gh.issuer);
  });

  it('answers a request that bypasses the proxy (plain http, no X-Forwarded-Proto) without a 500', async () => {
    const browser = new BehindTlsProxy();
    const page = await loginPage(browser);
    const direct = await fetch(page.url, {
      headers: { cookie: await browser.jar.getCookieString(page.url) },
    });
    // Koa refuses to set a Secure cookie on what it sees as plain http; that must not become a 500.
    expect(direct.status).toBe(200);
    expect(await direct.text()).toContain('name="password"');
  });
});
