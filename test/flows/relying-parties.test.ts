import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, type Page } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { type PassportApp, startPassportApp } from '../support/passport-rp.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { TEST_REDIRECT_URI } from '../support/sign-in-flow.ts';

const USER = { email: 'rp.user@example.com', password: 'correct horse battery', name: 'Rae Party' };
const insecure = { [oauth.allowInsecureRequests]: true };

/** Relying parties that are not openid-client, each with the registration it needs. */
describe('relying parties other than openid-client', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let as: oauth.AuthorizationServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    await gh.gatehouse.userManager.createUser({ ...USER, emailVerified: true });
    const issuer = new URL(gh.issuer);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  /** Signs the browser in on the login form if Gatehouse shows it, and follows on to the application. */
  async function signIn(browser: Browser, start: string, stopAt: (url: string) => boolean): Promise<Page> {
    let page = await browser.visit(start, stopAt);
    if (!page.location && page.body.includes('name="password"')) {
      page = await browser.submit(page, 'form[action$="/login"]', {
        email: USER.email,
        password: USER.password,
      });
      page = await browser.follow(page, stopAt);
    }
    return page;
  }

  it('discovery advertises only what a client can be registered with', async () => {
    expect(as.response_types_supported).toEqual(['code']);
    // Gatehouse has an RSA and a P-256 key: nothing else (PS256, EdDSA) could be honoured.
    expect(as.id_token_signing_alg_values_supported?.toSorted()).toEqual(['ES256', 'RS256']);
    expect(as.userinfo_signing_alg_values_supported?.toSorted()).toEqual(['ES256', 'RS256']);
    expect(as.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining([
        'client_secret_basic',
        'client_secret_post',
        'client_secret_jwt',
        'private_key_jwt',
        'none',
      ]),
    );
    expect(as.code_challenge_methods_supported).toEqual(['S256']);
    // Dynamic registration is off unless DYNAMIC_CLIENT_REGISTRATION turns it on.
    expect(as.registration_endpoint).toBeUndefined();
    expect(as.device_authorization_endpoint).toBe(`${gh.issuer}/device/auth`);
  });

  describe('passport-openidconnect, a confidential client that sends no PKCE', () => {
    let app: PassportApp;
    afterAll(() => app?.close());

    it('is refused while PKCE is required, and signs in once the client is registered with --pkce optional', async () => {
      const secret = 'passport-client-secret-0123456789';
      app = await startPassportApp(gh.issuer, 'passport-app', secret);
      await gh.gatehouse.clients.create({
        clientId: 'passport-app',
        secret,
        public: false,
        authMethod: 'client_secret_post',
        redirectUris: [app.callbackUrl],
        postLogoutRedirectUris: [],
        grants: ['authorization_code'],
        scopes: [],
        skipConsent: true,
      });
      const refused = await new Browser().visit(app.loginUrl, (url) => url.startsWith(app.callbackUrl));
      expect(refused.location).toContain('error=invalid_request');
      expect(decodeURIComponent(refused.location ?? '')).toContain('PKCE');

      await gh.gatehouse.clients.update('passport-app', { pkce: 'optional' });
      const browser = new Browser();
      const done = await signIn(browser, app.loginUrl, () => false);
      expect(done.status, done.body).toBe(200);
      expect(JSON.parse(done.body)).toMatchObject({ email: USER.email });
      expect(app.signedIn).toHaveLength(1);
    });
  });

  /** Drives the code flow with oauth4webapi (PKCE, state, nonce) and redeems the code with `auth`. */
  async function codeFlow(client: oauth.Client, auth: oauth.ClientAuth) {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const url = new URL(as.authorization_endpoint ?? '');
    url.search = new URLSearchParams({
      client_id: client.client_id,
      redirect_uri: TEST_REDIRECT_URI,
      response_type: 'code',
      scope: 'openid email profile',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    }).toString();
    const page = await signIn(new Browser(), url.toString(), (u) => u.startsWith(TEST_REDIRECT_URI));
    expect(page.location, page.body).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    const params = oauth.validateAuthResponse(as, client, new URL(page.location ?? ''), state);
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      auth,
      params,
      TEST_REDIRECT_URI,
      verifier,
      insecure,
    );
    return oauth.processAuthorizationCodeResponse(as, client, response, {
      expectedNonce: nonce,
      requireIdToken: true,
    });
  }

  it('private_key_jwt with ES256 ID tokens and signed userinfo (oauth4webapi)', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'rp-key-1', alg: 'ES256', use: 'sig' };
    const created = await gh.gatehouse.clients.create({
      clientId: 'keyed-app',
      public: false,
      authMethod: 'private_key_jwt',
      jwks: { keys: [jwk] },
      idTokenSignedResponseAlg: 'ES256',
      userinfoSignedResponseAlg: 'ES256',
      redirectUris: [TEST_REDIRECT_URI],
      postLogoutRedirectUris: [],
      grants: ['authorization_code'],
      scopes: [],
      skipConsent: true,
    });
    expect(created.secret).toBeUndefined();
    const client: oauth.Client = {
      client_id: 'keyed-app',
      id_token_signed_response_alg: 'ES256',
      userinfo_signed_response_alg: 'ES256',
    };
    const tokens = await codeFlow(client, oauth.PrivateKeyJwt({ key: privateKey, kid: 'rp-key-1' }));
    const claims = oauth.getValidatedIdTokenClaims(tokens);
    expect(claims?.email).toBe(USER.email);
    // The signature itself, against the published keys: an ES256 key, not the RSA one.
    const jwks = (await (await fetch(as.jwks_uri ?? '')).json()) as { keys: [] };
    const verified = await jwtVerify(tokens.id_token ?? '', createLocalJWKSet(jwks), {
      issuer: gh.issuer,
      audience: 'keyed-app',
    });
    expect(verified.protectedHeader.alg).toBe('ES256');

    const userinfo = await oauth.userInfoRequest(as, client, tokens.access_token, insecure);
    expect(userinfo.headers.get('content-type')).toContain('application/jwt');
    const profile = await oauth.processUserInfoResponse(as, client, claims?.sub ?? '', userinfo);
    expect(profile.email).toBe(USER.email);

    // A key the client did not register is refused.
    const stranger = (await generateKeyPair('ES256')).privateKey;
    await expect(
      codeFlow(client, oauth.PrivateKeyJwt({ key: stranger, kid: 'rp-key-1' })),
    ).rejects.toMatchObject({
      error: 'invalid_client',
    });
  });

  it('client_secret_jwt at the token endpoint (oauth4webapi)', async () => {
    const created = await gh.gatehouse.clients.create({
      clientId: 'hmac-app',
      public: false,
      authMethod: 'client_secret_jwt',
      redirectUris: [TEST_REDIRECT_URI],
      postLogoutRedirectUris: [],
      grants: ['authorization_code', 'client_credentials'],
      scopes: ['openid', 'profile', 'email'],
      skipConsent: true,
    });
    const secret = created.secret ?? '';
    expect(secret.length).toBeGreaterThanOrEqual(32);
    const client: oauth.Client = { client_id: 'hmac-app' };
    const tokens = await codeFlow(client, oauth.ClientSecretJwt(secret));
    expect(oauth.getValidatedIdTokenClaims(tokens)?.email).toBe(USER.email);

    const machine = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      oauth.ClientSecretJwt(secret),
      new URLSearchParams({ scope: 'email' }),
      insecure,
    );
    expect((await oauth.processClientCredentialsResponse(as, client, machine)).access_token).toBeTruthy();
    const wrong = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      oauth.ClientSecretJwt('not-the-secret-0123456789abcdefghij'),
      new URLSearchParams(),
      insecure,
    );
    await expect(oauth.processClientCredentialsResponse(as, client, wrong)).rejects.toMatchObject({
      error: 'invalid_client',
    });
  });
});
