import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

const SECRET = 'property client secret 0123456789';

/**
 * Property-based (fast-check): whatever token value a client sends, the adapter behind the token,
 * introspection and revocation endpoints answers with a 2xx or 4xx, never a 5xx (NUL bytes, lone
 * surrogates and invalid UTF-8 included).
 */
describe('the adapter, for any token a client sends', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    await gh.gatehouse.clients.create({
      clientId: 'prop',
      secret: SECRET,
      public: false,
      redirectUris: [],
      postLogoutRedirectUris: [],
      grants: ['client_credentials', 'refresh_token'],
      scopes: [],
      skipConsent: false,
    });
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  const basic = `Basic ${Buffer.from(`prop:${SECRET}`).toString('base64')}`;
  const anyToken = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc
      .uint8Array({ maxLength: 40 })
      .map((bytes) => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')),
  );

  it('never answers 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        anyToken,
        fc.constantFrom('/token/introspection', '/token/revocation', '/token'),
        async (token, path) => {
          // Raw percent-escapes stay as they are; other text is form-encoded (lone surrogates become U+FFFD).
          const value = /^(%[0-9a-f]{2})+$/.test(token) ? token : encodeURIComponent(token.toWellFormed());
          const body =
            path === '/token' ? `grant_type=refresh_token&refresh_token=${value}` : `token=${value}`;
          const answer = await fetch(`${gh.issuer}${path}`, {
            method: 'POST',
            headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
            body,
          });
          expect(answer.status, `${path} ${body}`).toBeLessThan(500);
        },
      ),
      { numRuns: 60 },
    );
  });
});
