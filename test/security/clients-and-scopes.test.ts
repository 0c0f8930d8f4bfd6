import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, type AdminCaller, sessionCaller } from '../fixtures/admin-http.ts';
import { Browser } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { authorizationRequest } from '../support/relying-party.ts';
import { authorize, redeem, registerApp, type TestApp } from '../support/sign-in.ts';
import { TEST_REDIRECT_URI } from '../support/sign-in-flow.ts';

/**
 * Issue 10: a public client could be registered with client_credentials and gatehouse:admin and got
 * admin tokens with no secret; gatehouse:admin reached user tokens and tokens of clients not
 * registered for it (and introspection reported it).
 */
describe('clients and scopes', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let admin: AdminCaller;
  let app: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    await gh.gatehouse.userManager.createUser({ ...ADMIN, groups: ['admin'] });
    admin = await sessionCaller(gh, ADMIN);
    app = await registerApp(gh);
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  const token = (body: string, authorization?: string) =>
    fetch(`${gh.issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(authorization ? { authorization } : {}),
      },
      body,
    });
  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

  it('refuses client_credentials and gatehouse:admin for a public client, and admin beside user grants', async () => {
    for (const [clientId, body] of [
      ['public-machine', { public: true, grants: ['client_credentials'] }],
      [
        'public-admin',
        {
          public: true,
          grants: ['authorization_code'],
          redirectUris: ['https://a.example/cb'],
          scopes: ['openid', 'gatehouse:admin'],
        },
      ],
      [
        'mixed-admin',
        {
          grants: ['authorization_code', 'client_credentials'],
          redirectUris: ['https://a.example/cb'],
          scopes: ['openid', 'gatehouse:admin'],
        },
      ],
    ] as const) {
      const created = await admin.call('POST', '/clients', { clientId, ...body });
      expect(created.status, clientId).toBe(400);
      expect(String(created.json.message), clientId).toMatch(/confidential|machine clients/);
    }
    // Without a secret, no token: a public client cannot use client_credentials at all.
    const attempt = await token(
      'grant_type=client_credentials&client_id=public-machine&scope=gatehouse%3Aadmin',
    );
    expect(attempt.status).toBeGreaterThanOrEqual(400);
  });

  it('grants a client only the scopes it is registered for: no admin scope without asking for it', async () => {
    const created = await admin.call('POST', '/clients', {
      clientId: 'unscoped-machine',
      grants: ['client_credentials'],
    });
    expect(created.status).toBe(201);
    const secret = String(created.json.secret);
    const refused = await token(
      'grant_type=client_credentials&scope=gatehouse%3Aadmin',
      basic('unscoped-machine', secret),
    );
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'invalid_scope' });
    const plain = await token('grant_type=client_credentials', basic('unscoped-machine', secret));
    expect(plain.status).toBe(200);
    expect(String(((await plain.json()) as { scope?: string }).scope ?? '')).not.toContain('gatehouse:admin');
  });

  it('keeps gatehouse:admin out of user sign-ins: an application cannot even ask for it', async () => {
    const request = await authorizationRequest(app.config, TEST_REDIRECT_URI, {
      scope: 'openid email gatehouse:admin',
    });
    const answer = await fetch(request.url, { redirect: 'manual' });
    expect(answer.status).toBe(303);
    const back = new URL(answer.headers.get('location') ?? '');
    expect(`${back.origin}${back.pathname}`).toBe(TEST_REDIRECT_URI);
    expect(back.searchParams.get('error')).toBe('invalid_scope');

    // A user token obtained normally carries no admin scope, and introspection says none.
    const tokens = await redeem(app.config, await authorize(new Browser(), app.config));
    expect(tokens.scope ?? '').not.toContain('gatehouse:admin');
    const introspected = await fetch(`${gh.issuer}/token/introspection`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic(app.clientId, app.secret),
      },
      body: new URLSearchParams({ token: tokens.access_token }),
    });
    const claims = (await introspected.json()) as { active?: boolean; scope?: string };
    expect(claims.active).toBe(true);
    expect(claims.scope).not.toContain('gatehouse:admin');
  });
});
