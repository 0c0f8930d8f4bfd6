import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JWT_ACCESS_TOKEN_TTL } from '../../src/oidc/access-tokens.ts';
import { DEVICE_CODE_GRANT } from '../../src/oidc/client-settings.ts';
import { Browser } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { authorize, postToken, redeem, registerApp, type TestApp, USER } from '../support/sign-in.ts';
import { registerTestClient } from '../support/sign-in-flow.ts';

/**
 * RFC 9068 access tokens for a client registered with `access_token_format: jwt`: a resource server
 * checks them with the published keys alone, never calling Gatehouse. Other clients keep opaque ones.
 */
describe('JWT access tokens per client', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let opaqueApp: TestApp;
  let jwtApp: TestApp;
  let keys: ReturnType<typeof createLocalJWKSet>;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    opaqueApp = await registerApp(gh, 'opaque-app');
    const registered = await registerTestClient(gh, {
      clientId: 'api-app',
      public: false,
      grants: ['authorization_code', 'refresh_token'],
      skipConsent: false,
      accessTokenFormat: 'jwt',
    });
    jwtApp = {
      ...opaqueApp,
      clientId: 'api-app',
      secret: registered.secret ?? '',
      config: registered.config,
    };
    // What a resource server holds: the JWKS, fetched once, and nothing else of Gatehouse.
    const jwks = (await (await fetch(`${gh.issuer}/jwks`)).json()) as JSONWebKeySet;
    keys = createLocalJWKSet(jwks);
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  /** The resource server's whole check (RFC 9068 §4): signature, typ, issuer, audience, expiry. */
  const verifyAtResourceServer = (token: string, audience: string) =>
    jwtVerify(token, keys, { issuer: gh.issuer, audience, typ: 'at+jwt', requiredClaims: ['exp'] });

  it('gives a jwt client an access token a resource server verifies with the JWKS alone', async () => {
    const browser = new Browser();
    const authorized = await authorize(browser, jwtApp.config);
    expect(authorized.pages).toEqual(['login', 'consent']);
    const tokens = await redeem(jwtApp.config, authorized);
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
    const { payload } = await verifyAtResourceServer(tokens.access_token, 'api-app');
    expect(payload).toMatchObject({
      iss: gh.issuer,
      aud: 'api-app',
      client_id: 'api-app',
      sub: jwtApp.userId,
    });
    expect(String(payload.scope).split(' ').toSorted()).toEqual(['email', 'groups', 'openid', 'profile']);
    expect(Number(payload.exp) - Number(payload.iat)).toBe(JWT_ACCESS_TOKEN_TTL);
    expect(tokens.expires_in).toBeLessThanOrEqual(JWT_ACCESS_TOKEN_TTL);
    // Another application's API refuses it: the audience is this client's.
    await expect(verifyAtResourceServer(tokens.access_token, 'opaque-app')).rejects.toThrow();

    // The person's claims are in the ID token; userinfo takes only the opaque tokens it can look up.
    expect(tokens.claims()?.email).toBe(USER.email);
    const userinfo = await fetch(`${gh.issuer}/me`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(userinfo.status).toBe(401);

    // A refresh gives a new JWT access token, still for this client's own API.
    const refreshed = await oidc.refreshTokenGrant(jwtApp.config, tokens.refresh_token ?? '');
    const again = await verifyAtResourceServer(refreshed.access_token, 'api-app');
    expect(again.payload.sub).toBe(jwtApp.userId);

    // The trade-off, as documented: revoking the grant stops the refresh token at once, but a JWT
    // already issued verifies until it expires, since the resource server asks no one.
    await oidc.tokenRevocation(jwtApp.config, refreshed.refresh_token ?? '');
    await expect(oidc.refreshTokenGrant(jwtApp.config, refreshed.refresh_token ?? '')).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await expect(verifyAtResourceServer(refreshed.access_token, 'api-app')).resolves.toBeTruthy();
  });

  it('keeps opaque access tokens by default, which userinfo answers', async () => {
    const tokens = await redeem(opaqueApp.config, await authorize(new Browser(), opaqueApp.config));
    expect(tokens.access_token.split('.')).toHaveLength(1);
    const userinfo = await oidc.fetchUserInfo(opaqueApp.config, tokens.access_token, opaqueApp.userId);
    expect(userinfo.email).toBe(USER.email);
  });

  it('refuses a resource indicator from any client: a jwt client gets tokens for its own API only', async () => {
    const browser = new Browser();
    await authorize(browser, opaqueApp.config);
    for (const app of [opaqueApp, jwtApp]) {
      const url = oidc.buildAuthorizationUrl(app.config, {
        redirect_uri: 'http://127.0.0.1:9/callback',
        scope: 'openid',
        resource: 'https://payroll.example.com/',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      });
      const page = await browser.visit(url.toString(), (u) => u.startsWith('http://127.0.0.1:9/'));
      expect(page.location ?? page.body).toContain('invalid_target');
    }
  });

  it('gives a jwt device-flow client a JWT access token too, once the person confirms in a browser', async () => {
    await gh.gatehouse.clients.create({
      clientId: 'jwt-tv',
      public: true,
      redirectUris: [],
      postLogoutRedirectUris: [],
      grants: [DEVICE_CODE_GRANT],
      scopes: [],
      skipConsent: true,
      accessTokenFormat: 'jwt',
    });
    const started = await fetch(`${gh.issuer}/device/auth`, {
      method: 'POST',
      body: new URLSearchParams({ client_id: 'jwt-tv', scope: 'openid email' }),
    }).then((r) => r.json() as Promise<{ device_code: string; user_code: string; verification_uri: string }>);
    const browser = new Browser();
    const form = await browser.visit(started.verification_uri);
    const confirm = await browser.submit(form, 'form[action$="/device"]', { user_code: started.user_code });
    const login = await browser.follow(
      await browser.submit(confirm, 'form[action$="/device"]', {}, { name: 'confirm', value: 'yes' }),
    );
    const done = await browser.follow(await browser.submit(login, 'form[action$="/login"]', USER));
    expect(done.status).toBe(200);
    const tokens = (await fetch(`${gh.issuer}/token`, {
      method: 'POST',
      body: new URLSearchParams({
        client_id: 'jwt-tv',
        grant_type: DEVICE_CODE_GRANT,
        device_code: started.device_code,
      }),
    }).then((r) => r.json())) as { access_token: string };
    const { payload } = await verifyAtResourceServer(tokens.access_token, 'jwt-tv');
    expect(payload).toMatchObject({ sub: jwtApp.userId, client_id: 'jwt-tv' });
    expect(String(payload.scope).split(' ').toSorted()).toEqual(['email', 'openid']);
  });

  it('signs machine tokens of a jwt client as JWTs too, and keeps the admin scope opaque', async () => {
    const { secret } = await gh.gatehouse.clients.create({
      clientId: 'jwt-machine',
      public: false,
      redirectUris: [],
      postLogoutRedirectUris: [],
      grants: ['client_credentials'],
      scopes: ['email'],
      skipConsent: false,
      accessTokenFormat: 'jwt',
    });
    const machine = { ...opaqueApp, clientId: 'jwt-machine', secret: secret ?? '' };
    const answer = await postToken(machine, { grant_type: 'client_credentials', scope: 'email' });
    expect(answer.status).toBe(200);
    const { payload } = await verifyAtResourceServer(String(answer.body.access_token), 'jwt-machine');
    expect(payload).toMatchObject({ sub: 'jwt-machine', client_id: 'jwt-machine', scope: 'email' });
    expect(Number(payload.exp) - Number(payload.iat)).toBe(JWT_ACCESS_TOKEN_TTL);

    await expect(gh.gatehouse.clients.update('jwt-machine', { scopes: ['gatehouse:admin'] })).rejects.toThrow(
      /opaque access tokens/,
    );
    // Back to opaque: the next token is a reference again.
    await gh.gatehouse.clients.update('jwt-machine', { accessTokenFormat: 'opaque' });
    const opaque = await postToken(machine, { grant_type: 'client_credentials', scope: 'email' });
    expect(String(opaque.body.access_token).split('.')).toHaveLength(1);
  });
});
