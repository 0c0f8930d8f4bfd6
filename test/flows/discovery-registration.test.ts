import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCALES } from '../../src/i18n/i18n.ts';
import {
  type AdminCaller,
  bearerCaller,
  clientCredentials,
  registerMachine,
} from '../fixtures/admin-http.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

const APP = 'https://app.example.com';

/**
 * Discovery says only what works: every response type, token endpoint authentication method,
 * signing algorithm and grant it advertises is one an administrator can register a client with,
 * here through the admin API (/api/admin/v1/clients).
 */
describe('what discovery advertises can be registered', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let admin: AdminCaller;
  let discovery: Record<string, unknown>;
  let jwk: Record<string, unknown>;
  let n = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    const secret = await registerMachine(gh, 'provisioner', ['gatehouse:admin']);
    const token = await clientCredentials(gh, 'provisioner', secret, 'gatehouse:admin');
    admin = bearerCaller(gh, String(token.access_token));
    discovery = (await (await fetch(`${gh.issuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    jwk = { ...(await exportJWK((await generateKeyPair('ES256')).publicKey)), kid: 'k1' };
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  const advertised = (key: string): string[] => {
    const values = discovery[key];
    expect(Array.isArray(values), key).toBe(true);
    return values as string[];
  };

  /** Registers a code-flow client with `fields` over the defaults; answers the status and body. */
  async function register(fields: Record<string, unknown>) {
    n += 1;
    return admin.call('POST', '/clients', {
      clientId: `advertised-${n}`,
      redirectUris: [`${APP}/cb`],
      grants: ['authorization_code'],
      ...fields,
    });
  }

  it('every response type', async () => {
    const grantFor: Record<string, string> = { code: 'authorization_code' };
    for (const type of advertised('response_types_supported')) {
      expect(grantFor[type], `no grant produces response type ${type}`).toBeDefined();
      const created = await register({ grants: [grantFor[type]] });
      expect(created.status, JSON.stringify(created.json)).toBe(201);
    }
  });

  it('every token endpoint authentication method', async () => {
    const fieldsFor = (method: string): Record<string, unknown> => {
      if (method === 'none') return { public: true };
      if (method === 'private_key_jwt') return { authMethod: method, jwks: { keys: [jwk] } };
      return { authMethod: method };
    };
    for (const method of advertised('token_endpoint_auth_methods_supported')) {
      const created = await register(fieldsFor(method));
      expect(created.status, `${method}: ${JSON.stringify(created.json)}`).toBe(201);
      expect(created.json.authMethod).toBe(method);
    }
  });

  it('every ID token and userinfo signing algorithm, and nothing else', async () => {
    for (const alg of advertised('id_token_signing_alg_values_supported')) {
      const created = await register({ idTokenSigningAlg: alg });
      expect(created.status, `${alg}: ${JSON.stringify(created.json)}`).toBe(201);
      expect(created.json.idTokenSigningAlg).toBe(alg);
    }
    for (const alg of advertised('userinfo_signing_alg_values_supported')) {
      const created = await register({ userinfoSigningAlg: alg });
      expect(created.status, `${alg}: ${JSON.stringify(created.json)}`).toBe(201);
    }
    for (const unsupported of ['PS256', 'EdDSA', 'HS256', 'none']) {
      expect(advertised('id_token_signing_alg_values_supported')).not.toContain(unsupported);
      expect((await register({ idTokenSigningAlg: unsupported })).status).toBe(400);
    }
  });

  it('every grant type, and either access token format', async () => {
    // A grant that signs no one in through a browser takes no redirect URI (the client rules).
    const browserless = new Set(['client_credentials', 'urn:ietf:params:oauth:grant-type:device_code']);
    for (const grant of advertised('grant_types_supported')) {
      const created = await register({
        grants: grant === 'refresh_token' ? ['authorization_code', grant] : [grant],
        ...(browserless.has(grant) ? { redirectUris: [] } : {}),
      });
      expect(created.status, `${grant}: ${JSON.stringify(created.json)}`).toBe(201);
    }
    const jwt = await register({ accessTokenFormat: 'jwt' });
    expect(jwt.status, JSON.stringify(jwt.json)).toBe(201);
    expect(jwt.json.accessTokenFormat).toBe('jwt');
    const changed = await admin.call('PATCH', `/clients/${String(jwt.json.clientId)}`, {
      accessTokenFormat: 'opaque',
    });
    expect(changed.json).toMatchObject({ accessTokenFormat: 'opaque', idTokenSigningAlg: 'ES256' });
  });

  it('every algorithm a client may sign its token endpoint assertion with', async () => {
    for (const alg of advertised('token_endpoint_auth_signing_alg_values_supported')) {
      const fields: Record<string, unknown> = alg.startsWith('HS')
        ? { authMethod: 'client_secret_jwt' }
        : {
            authMethod: 'private_key_jwt',
            jwks: { keys: [{ ...(await exportJWK((await generateKeyPair(alg)).publicKey)), alg }] },
          };
      const created = await register(fields);
      expect(created.status, `${alg}: ${JSON.stringify(created.json)}`).toBe(201);
    }
  });

  it('names the languages its pages are translated into, and front-channel logout', () => {
    expect(advertised('ui_locales_supported')).toEqual([...LOCALES]);
    expect(discovery).toMatchObject({
      frontchannel_logout_supported: true,
      frontchannel_logout_session_supported: true,
      backchannel_logout_supported: true,
    });
  });
});
