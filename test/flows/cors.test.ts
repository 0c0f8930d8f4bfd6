import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

describe('CORS for browser applications', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    await gh.gatehouse.clients.create({
      clientId: 'spa',
      public: true,
      redirectUris: ['http://spa.localhost:5173/callback'],
      postLogoutRedirectUris: [],
      grants: ['authorization_code', 'refresh_token'],
      scopes: [],
      skipConsent: true,
    });
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  async function tokenCallFrom(origin: string): Promise<Response> {
    return fetch(`${gh.issuer}/token`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: 'spa',
        grant_type: 'refresh_token',
        refresh_token: 'not-a-token',
      }),
    });
  }

  it('lets the origin of a registered redirect URI read token responses, and no other origin', async () => {
    const own = await tokenCallFrom('http://spa.localhost:5173');
    expect(own.status).toBe(400);
    expect(own.headers.get('access-control-allow-origin')).toBe('http://spa.localhost:5173');

    const foreign = await tokenCallFrom('https://evil.example');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers discovery to any origin, as public metadata', async () => {
    const response = await fetch(`${gh.issuer}/.well-known/openid-configuration`, {
      headers: { origin: 'https://any.example' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBe('https://any.example');
  });
});
