import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar, HttpClient, signIn, type TokenSet } from '../../bench/browser-flow.ts';
import {
  basicAuth,
  benchUsers,
  discoverEndpoints,
  type Endpoints,
  MACHINE_CLIENT,
  WEB_CLIENT,
} from '../../bench/fixtures.ts';
import { seedBenchTarget } from '../../bench/gatehouse-target.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { QueryCounter } from '../support/query-counter.ts';

/**
 * Issue 15's query budget, on a warm server: database round trips per request, counted, not timed.
 * The bench prints the same counts; this keeps them from creeping up unnoticed.
 */
describe('database round trips per request', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let http: HttpClient;
  let endpoints: Endpoints;
  let counter: QueryCounter;
  const [user] = benchUsers(1);

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    await seedBenchTarget(gh.gatehouse, benchUsers(1));
    http = new HttpClient(4);
    endpoints = await discoverEndpoints(gh.issuer);
    counter = new QueryCounter(gh.gatehouse.db);
    // Warm: the first sign-in loads clients, keys and providers into the caches.
    await fullSignIn();
    await clientCredentials();
  });
  afterAll(async () => {
    counter?.close();
    http?.close();
    await gh?.stop();
    await db?.drop();
  });

  const flow = () => ({ authorization: endpoints.authorization, token: endpoints.token, client: WEB_CLIENT });
  const fullSignIn = () => signIn(http, flow(), user?.email ?? '', new CookieJar());
  const clientCredentials = async () => {
    const reply = await http.send(endpoints.token, {
      method: 'POST',
      headers: { authorization: basicAuth(MACHINE_CLIENT) },
      form: { grant_type: 'client_credentials' },
    });
    expect(reply.status).toBe(200);
  };
  const measure = async (work: () => Promise<unknown>) => {
    const statements = await counter.during(work);
    if (process.env.SHOW_QUERIES) console.log(statements.join('\n'), '\n---');
    return statements.length;
  };

  // The token write and the per-client rate-limit counter are one statement (a CTE gate, see
  // AdapterUnitOfWork); the client comes from the per-node cache.
  it('client_credentials: at most 1', async () => {
    expect(await measure(clientCredentials)).toBeLessThanOrEqual(1);
  });

  // /auth 1, the sign-in page 1, the password POST 6 (rate limits in one statement, interaction,
  // user with attempt and second-factor state, sign-in time, audit row, interaction result), back
  // to /auth 2 (interaction with the account, one write with the session activity), the code
  // redemption 2 (code with grant, session and account, one write with the rate-limit counter).
  it('a whole password sign-in (five HTTP requests): at most 12', async () => {
    expect(await measure(fullSignIn)).toBeLessThanOrEqual(12);
  });

  describe('with a user token', () => {
    let tokens: TokenSet;
    beforeAll(async () => {
      tokens = await fullSignIn();
    });

    it('introspection: at most 1', async () => {
      const count = await measure(async () => {
        const reply = await http.send(endpoints.introspection, {
          method: 'POST',
          headers: { authorization: basicAuth(WEB_CLIENT) },
          form: { token: tokens.access_token },
        });
        expect(JSON.parse(reply.body)).toMatchObject({ active: true });
      });
      expect(count).toBeLessThanOrEqual(1);
    });

    it('userinfo: at most 2', async () => {
      const count = await measure(async () => {
        const reply = await http.send(endpoints.userinfo, {
          headers: { authorization: `Bearer ${tokens.access_token}` },
        });
        expect(JSON.parse(reply.body)).toMatchObject({ email: user?.email });
      });
      expect(count).toBeLessThanOrEqual(2);
    });

    // The token with its grant, session and account; one write with the rate-limit counter.
    it('refresh_token: at most 4', async () => {
      const count = await measure(async () => {
        const reply = await http.send(endpoints.token, {
          method: 'POST',
          headers: { authorization: basicAuth(WEB_CLIENT) },
          form: { grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' },
        });
        expect(reply.status).toBe(200);
      });
      expect(count).toBeLessThanOrEqual(4);
    });
  });
});
