import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueInitialAccessToken } from '../../src/oidc/registration.ts';
import { Browser, type Page } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { TEST_REDIRECT_URI } from '../support/sign-in-flow.ts';

const USER = { email: 'agent.user@example.com', password: 'correct horse battery', name: 'Aggie Agent' };
const insecure = { [oauth.allowInsecureRequests]: true };

/**
 * An application registers itself (RFC 7591, as oidc-agent does) with an initial access token from
 * `gatehouse client registration-token`, signs a user in, and manages its registration (RFC 7592).
 */
describe('dynamic client registration', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let as: oauth.AuthorizationServer;
  let initialAccessToken: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url, env: { DYNAMIC_CLIENT_REGISTRATION: 'true' } });
    await gh.gatehouse.userManager.createUser({ ...USER, emailVerified: true });
    const issuer = new URL(gh.issuer);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  const register = (metadata: Partial<oauth.Client>, token?: string) =>
    oauth.dynamicClientRegistrationRequest(as, metadata, {
      ...insecure,
      ...(token ? { initialAccessToken: token } : {}),
    });

  const app = {
    client_name: 'oidc-agent',
    redirect_uris: [TEST_REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  };

  it('takes an initial access token an administrator issued', async () => {
    // What `gatehouse client registration-token` calls (its own test is in test/cli).
    initialAccessToken = await issueInitialAccessToken(gh.gatehouse.host.provider, 600);
    expect(initialAccessToken.length).toBeGreaterThanOrEqual(32);
    expect(as.registration_endpoint).toBe(`${gh.issuer}/reg`);
  });

  it('refuses a registration without the token, or one asking for what only an administrator grants', async () => {
    expect((await register(app)).status).toBe(401);
    expect((await register(app, 'not-a-token')).status).toBe(401);
    for (const greedy of [
      { skip_consent: true },
      { require_pkce: false },
      { access_token_format: 'jwt' },
      { scope: 'openid gatehouse:admin' },
    ]) {
      const refused = await register({ ...app, ...greedy }, initialAccessToken);
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ error: 'invalid_client_metadata' });
    }
    // A wildcard would be stored as a literal that never matches (issue 14): refused, as by the CLI.
    const wildcard = await register(
      { ...app, redirect_uris: ['https://*.example.com/cb'] },
      initialAccessToken,
    );
    expect(wildcard.status).toBe(400);
    expect(await wildcard.json()).toMatchObject({
      error: 'invalid_client_metadata',
      error_description: expect.stringMatching(/has a wildcard/),
    });
  });

  it('registers an application that then signs a user in, asks for consent, and can delete itself', async () => {
    const registered = await oauth.processDynamicClientRegistrationResponse(
      await register(app, initialAccessToken),
    );
    const clientId = registered.client_id;
    const secret = String(registered.client_secret);
    // Listed like any other client, as a third-party application.
    const listed = (await gh.gatehouse.clients.list()).find((c) => c.clientId === clientId);
    expect(listed).toMatchObject({ skipConsent: false, hasSecret: true });
    expect(listed?.metadata.client_name).toBe('oidc-agent');

    const client: oauth.Client = { client_id: clientId };
    const tokens = await codeFlow(client, oauth.ClientSecretBasic(secret));
    expect(oauth.getValidatedIdTokenClaims(tokens)?.email).toBe(USER.email);

    // RFC 7592: the registration access token reads and deletes the registration.
    const managed = {
      headers: { authorization: `Bearer ${String(registered.registration_access_token)}` },
    };
    const read = await fetch(String(registered.registration_client_uri), managed);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ client_id: clientId, client_name: 'oidc-agent' });
    const deleted = await fetch(String(registered.registration_client_uri), { ...managed, method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect((await gh.gatehouse.clients.list()).map((c) => c.clientId)).not.toContain(clientId);
  });

  async function codeFlow(client: oauth.Client, auth: oauth.ClientAuth) {
    const verifier = oauth.generateRandomCodeVerifier();
    const url = new URL(as.authorization_endpoint ?? '');
    url.search = new URLSearchParams({
      client_id: client.client_id,
      redirect_uri: TEST_REDIRECT_URI,
      response_type: 'code',
      scope: 'openid email',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }).toString();
    const toApp = (u: string) => u.startsWith(TEST_REDIRECT_URI);
    const browser = new Browser();
    let page: Page = await browser.visit(url.toString(), toApp);
    page = await browser.submit(page, 'form[action$="/login"]', {
      email: USER.email,
      password: USER.password,
    });
    page = await browser.follow(page, toApp);
    // A registered application is a third party: the person is asked.
    expect(page.location, 'a consent page, not a redirect').toBeUndefined();
    page = await browser.submit(page, 'form[action$="/consent"]', {}, { name: 'decision', value: 'allow' });
    page = await browser.follow(page, toApp);
    const params = oauth.validateAuthResponse(as, client, new URL(page.location ?? ''), oauth.skipStateCheck);
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      auth,
      params,
      TEST_REDIRECT_URI,
      verifier,
      insecure,
    );
    return oauth.processAuthorizationCodeResponse(as, client, response, { requireIdToken: true });
  }
});
