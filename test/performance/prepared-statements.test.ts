import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../../bench/browser-flow.ts';
import { basicAuth, benchUsers, discoverEndpoints, MACHINE_CLIENT } from '../../bench/fixtures.ts';
import { seedBenchTarget } from '../../bench/gatehouse-target.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

/**
 * DATABASE_PREPARED_STATEMENTS: with it on, the token write is prepared once on the connection and
 * reused; off (behind a transaction pooler), the server holds no prepared statement at all. One
 * pooled connection, so the session the test reads is the one the requests used.
 */
describe.each<{ prepared: boolean; env: Record<string, string> }>([
  { prepared: true, env: {} },
  { prepared: false, env: { DATABASE_PREPARED_STATEMENTS: 'false' } },
])('prepared statements $prepared', ({ prepared, env }) => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  const http = new HttpClient(2);

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url, env: { DATABASE_POOL_MAX: '1', ...env } });
    await seedBenchTarget(gh.gatehouse, benchUsers(1));
  });
  afterAll(async () => {
    http.close();
    await gh?.stop();
    await db?.drop();
  });

  it('token requests all succeed, and the server holds the statement only when asked to', async () => {
    const { token } = await discoverEndpoints(gh.issuer);
    for (let i = 0; i < 5; i++) {
      const reply = await http.send(token, {
        method: 'POST',
        headers: { authorization: basicAuth(MACHINE_CLIENT) },
        form: { grant_type: 'client_credentials' },
      });
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body)).toHaveProperty('access_token');
    }
    const { rows } = (await gh.gatehouse.db.raw('SELECT statement FROM pg_prepared_statements')) as {
      rows: Array<{ statement: string }>;
    };
    const tokenWrites = rows.filter((r) => r.statement.includes('INSERT INTO oidc_payloads'));
    expect(tokenWrites).toHaveLength(prepared ? 1 : 0);
  });
});
