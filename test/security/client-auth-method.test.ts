import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_CODE_GRANT } from '../../src/oidc/client-settings.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { TEST_REDIRECT_URI } from '../support/sign-in-flow.ts';

/**
 * Issue 10, "the registered token endpoint auth method is enforced": oidc-provider took
 * client_secret_post from a client registered for client_secret_basic, and the reverse. Every
 * endpoint that authenticates clients is tried with the wrong way of sending a right secret.
 */
describe('the registered token endpoint auth method', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  const secrets: Record<string, string> = {};
  let endpoints: Record<string, string>;
  let signingKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

  const GRANTS = ['authorization_code', 'client_credentials', DEVICE_CODE_GRANT] as const;
  // What each endpoint needs beside the client's credentials to get past client authentication.
  const BODIES: Record<string, string> = {
    token_endpoint: 'grant_type=client_credentials',
    introspection_endpoint: 'token=some-token',
    revocation_endpoint: 'token=some-token',
    pushed_authorization_request_endpoint: new URLSearchParams({
      response_type: 'code',
      redirect_uri: TEST_REDIRECT_URI,
      scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    }).toString(),
    device_authorization_endpoint: 'scope=openid',
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    const common = {
      public: false,
      redirectUris: [TEST_REDIRECT_URI],
      postLogoutRedirectUris: [],
      grants: [...GRANTS],
      scopes: [],
      skipConsent: true,
    };
    for (const authMethod of ['client_secret_basic', 'client_secret_post'] as const) {
      const created = await gh.gatehouse.clients.create({ clientId: authMethod, authMethod, ...common });
      secrets[authMethod] = String(created.secret);
    }
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    signingKey = privateKey;
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    await gh.gatehouse.clients.create({
      clientId: 'private_key_jwt',
      authMethod: 'private_key_jwt',
      jwks: { keys: [jwk] },
      ...common,
    });
    const discovery = (await (await fetch(`${gh.issuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      string
    >;
    endpoints = Object.fromEntries(Object.keys(BODIES).map((name) => [name, String(discovery[name])]));
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  const basic = (id: string, secret: string) =>
    `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

  async function post(endpoint: string, body: string, authorization?: string) {
    const response = await fetch(endpoints[endpoint] ?? '', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(authorization ? { authorization } : {}),
      },
      body,
    });
    // Revocation answers 200 with an empty body.
    const text = await response.text();
    return { status: response.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  }

  const withPost = (id: string, secret: string, body: string) =>
    `${body}&${new URLSearchParams({ client_id: id, client_secret: secret })}`;

  it('refuses a client registered for client_secret_basic that sends its secret in the body', async () => {
    const id = 'client_secret_basic';
    for (const endpoint of Object.keys(BODIES)) {
      const refused = await post(endpoint, withPost(id, secrets[id] ?? '', BODIES[endpoint] ?? ''));
      expect(refused.status, endpoint).toBe(401);
      expect(refused.json.error, endpoint).toBe('invalid_client');
      // A pushed authorization request names its client in the body too (it is an authorization request).
      const body = `${BODIES[endpoint]}&client_id=${id}`;
      const accepted = await post(endpoint, body, basic(id, secrets[id] ?? ''));
      expect(accepted.status, `${endpoint} ${JSON.stringify(accepted.json)}`).toBeLessThan(300);
    }
  });

  it('refuses a client registered for client_secret_post that sends its secret in HTTP Basic', async () => {
    const id = 'client_secret_post';
    for (const endpoint of Object.keys(BODIES)) {
      const refused = await post(
        endpoint,
        `${BODIES[endpoint]}&client_id=${id}`,
        basic(id, secrets[id] ?? ''),
      );
      expect(refused.status, endpoint).toBe(401);
      expect(refused.json.error, endpoint).toBe('invalid_client');
      const accepted = await post(endpoint, withPost(id, secrets[id] ?? '', BODIES[endpoint] ?? ''));
      expect(accepted.status, `${endpoint} ${JSON.stringify(accepted.json)}`).toBeLessThan(300);
    }
  });

  it('refuses a private_key_jwt client that sends a secret, and accepts its signed assertion', async () => {
    const id = 'private_key_jwt';
    // The secret of another client, and a made-up one: neither method is the registered one.
    for (const secret of [secrets.client_secret_basic ?? '', 'guessed-secret']) {
      for (const endpoint of Object.keys(BODIES)) {
        const inBody = await post(endpoint, withPost(id, secret, BODIES[endpoint] ?? ''));
        expect(inBody.status, endpoint).toBe(401);
        expect(inBody.json.error, endpoint).toBe('invalid_client');
        const inHeader = await post(endpoint, BODIES[endpoint] ?? '', basic(id, secret));
        expect(inHeader.status, endpoint).toBe(401);
        expect(inHeader.json.error, endpoint).toBe('invalid_client');
      }
    }
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(id)
      .setSubject(id)
      .setAudience(gh.issuer)
      .setJti(crypto.randomUUID())
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(signingKey);
    const accepted = await post(
      'token_endpoint',
      `${BODIES.token_endpoint}&${new URLSearchParams({
        client_id: id,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      })}`,
    );
    expect(accepted.status).toBe(200);
    expect(accepted.json.access_token).toEqual(expect.any(String));
  });
});
