import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, type Page, textOf } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { authorizationRequest } from '../support/relying-party.ts';
import { registerTestApp, registerTestClient, TEST_REDIRECT_URI } from '../support/sign-in-flow.ts';

const EMAIL = 'errors@example.com';
const PASSWORD = 'correct horse battery';

/** What leaks when an error is rendered carelessly: stack frames, file paths, exception names. */
const LEAK =
  /\n\s+at\s|node_modules|\/work\/|\.[cm]?[jt]s:\d+|\b[A-Z][a-z]+Error\b|oops! something went wrong/;

describe('authorization and token errors', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let secret: string;
  let config: oidc.Configuration;
  /** Signed in once; later authorizations go straight back to the client with a code. */
  const browser = new Browser();

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    await gh.gatehouse.userManager.createUser({ email: EMAIL, name: 'E', password: PASSWORD, groups: [] });
    const webapp = await registerTestClient(gh, {
      clientId: 'webapp',
      name: 'Web App',
      public: false,
      grants: ['authorization_code', 'refresh_token'],
    });
    secret = webapp.secret ?? '';
    config = webapp.config;
    await registerTestApp(gh, { clientId: 'spa' });
  });

  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  function authorizeUrl(params: Record<string, string>): string {
    const url = new URL('/auth', gh.issuer);
    const defaults = { response_type: 'code', scope: 'openid', state: 'st-1', nonce: 'n-1' };
    for (const [k, v] of Object.entries({ ...defaults, ...params })) url.searchParams.set(k, v);
    return url.toString();
  }

  /** A fresh code for `webapp` with its PKCE verifier, signing in on the first call. */
  async function freshCode(): Promise<{ code: string; verifier: string }> {
    const request = await authorizationRequest(config, TEST_REDIRECT_URI, { scope: 'openid' });
    let page: Page = await browser.visit(request.url.toString(), (u) => u.startsWith(TEST_REDIRECT_URI));
    if (!page.location) {
      page = await browser.submit(page, 'form[action$="/login"]', { email: EMAIL, password: PASSWORD });
      page = await browser.follow(page, (u) => u.startsWith(TEST_REDIRECT_URI));
    }
    const code = new URL(page.location ?? '').searchParams.get('code');
    if (!code) throw new Error(`no code in ${page.location}`);
    return { code, verifier: request.codeVerifier };
  }

  async function token(body: Record<string, string>, clientSecret = secret): Promise<Response> {
    return fetch(new URL('/token', gh.issuer), {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`webapp:${clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(body),
    });
  }

  function expectErrorPage(page: Page, description: RegExp): void {
    expect(page.status).toBe(400);
    expect(page.location).toBeUndefined();
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(textOf(page)).toContain('This sign-in cannot continue');
    expect(textOf(page)).toMatch(description);
    expect(page.body).not.toMatch(LEAK);
  }

  it.each([
    ['an unregistered host', 'http://evil.example/callback'],
    ['a different path', 'http://127.0.0.1:9/callback/other'],
    ['an extra query', 'http://127.0.0.1:9/callback?next=http://evil.example'],
    ['a trailing slash', 'http://127.0.0.1:9/callback/'],
    ['another scheme', 'https://127.0.0.1:9/callback'],
  ])('shows an error page and does not redirect for %s as redirect_uri', async (_, redirectUri) => {
    const page = await new Browser().request(
      authorizeUrl({ client_id: 'webapp', redirect_uri: redirectUri, code_challenge: 'x'.repeat(43) }),
    );
    expectErrorPage(page, /redirect_uri did not match/);
    const target = new URL(redirectUri);
    expect(page.body).not.toContain(target.host + target.pathname);
  });

  it('shows an error page for an unknown client_id', async () => {
    const page = await new Browser().request(
      authorizeUrl({ client_id: 'nobody', redirect_uri: TEST_REDIRECT_URI, code_challenge: 'x'.repeat(43) }),
    );
    expectErrorPage(page, /client is invalid/);
  });

  it.each([
    ['a confidential client', 'webapp'],
    ['a public client', 'spa'],
  ])('refuses an authorization without code_challenge for %s', async (_, clientId) => {
    const page = await new Browser().request(
      authorizeUrl({ client_id: clientId, redirect_uri: TEST_REDIRECT_URI }),
    );
    expect(page.status).toBe(303);
    const back = new URL(page.location ?? '');
    expect(back.origin + back.pathname).toBe(TEST_REDIRECT_URI);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toMatch(/requires PKCE/);
    expect(back.searchParams.get('state')).toBe('st-1');
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('refuses code_challenge_method=plain', async () => {
    const page = await new Browser().request(
      authorizeUrl({
        client_id: 'webapp',
        redirect_uri: TEST_REDIRECT_URI,
        code_challenge: 'a'.repeat(43),
        code_challenge_method: 'plain',
      }),
    );
    expect(page.status).toBe(303);
    const back = new URL(page.location ?? '');
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toMatch(/code_challenge_method/);
    expect(back.searchParams.get('code')).toBeNull();
  });

  it.each([
    ['missing', undefined],
    ['wrong', oidc.randomPKCECodeVerifier()],
  ])('answers invalid_grant to a token request with a %s code_verifier', async (_, verifier) => {
    const { code } = await freshCode();
    const response = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: TEST_REDIRECT_URI,
      ...(verifier ? { code_verifier: verifier } : {}),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('answers invalid_client (401) to a wrong client secret', async () => {
    const { code, verifier } = await freshCode();
    const response = await token(
      { grant_type: 'authorization_code', code, redirect_uri: TEST_REDIRECT_URI, code_verifier: verifier },
      'not-the-secret',
    );
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_client' });
    // The code was not spent by the refused attempt: the real client still redeems it.
    const ok = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: TEST_REDIRECT_URI,
      code_verifier: verifier,
    });
    expect(ok.status).toBe(200);
  });

  it('answers invalid_grant to a reused code and revokes the tokens issued from it', async () => {
    const { code, verifier } = await freshCode();
    const params = {
      grant_type: 'authorization_code',
      code,
      redirect_uri: TEST_REDIRECT_URI,
      code_verifier: verifier,
    };
    const first = await token(params);
    expect(first.status).toBe(200);
    const tokens = (await first.json()) as { access_token: string; refresh_token: string };
    expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(true);

    const again = await token(params);
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ error: 'invalid_grant' });

    expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });
});
