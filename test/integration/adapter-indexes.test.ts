import type { Adapter, AdapterPayload } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/crypto/secret-box.ts';
import { createDatabase, type Database } from '../../src/db/database.ts';
import { migrateLatest } from '../../src/db/migrations.ts';
import { AdapterScope, runInScope } from '../../src/oidc/adapter-scope.ts';
import { createClientStore } from '../../src/oidc/client-store.ts';
import { createAdapterFactory, purgeExpiredPayloads } from '../../src/oidc/knex-adapter.ts';
import { flushWrites } from '../../src/oidc/payload-flush.ts';
import { SessionActivityStore } from '../../src/oidc/session-activity-store.ts';
import { RATE_LIMIT_POLICIES } from '../../src/rate-limits/policies.ts';
import { createRateLimitStore } from '../../src/rate-limits/rate-limit-store.ts';
import { RateLimits } from '../../src/rate-limits/rate-limits.ts';
import { ACCOUNT_ROWS } from '../../src/users/account-rows.ts';
import { TEST_SECRET_KEY } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

interface Captured {
  sql: string;
  bindings: unknown[];
}

/**
 * Every statement the adapter sends, EXPLAINed with sequential scans priced out: if a plan still
 * scans `oidc_payloads` sequentially, no index serves that statement, and at millions of rows it
 * would read the whole table on every request. (On a small table the planner may prefer a scan; the
 * question here is whether an index CAN serve it.)
 */
describe('adapter statements use indexes', () => {
  let test: TestDatabase;
  let db: Database;
  let adapter: (model: string) => Adapter;
  const captured: Captured[] = [];

  beforeAll(async () => {
    test = await createTestDatabase();
    db = createDatabase(test.url);
    await migrateLatest(db);
    adapter = createAdapterFactory(db, createClientStore(db, new SecretBox(TEST_SECRET_KEY)), {
      refreshTokenReuseSeconds: 10,
      accounts: ACCOUNT_ROWS,
    });
    db.on('query', (q: { sql: string; bindings?: unknown[] }) => {
      captured.push({ sql: q.sql, bindings: q.bindings ?? [] });
    });
    await exercise();
  });
  afterAll(async () => {
    await db?.destroy();
    await test?.drop();
  });

  const token = (grantId: string): AdapterPayload => ({
    kind: 'RefreshToken',
    grantId,
    sessionUid: 'uid-1',
    accountId: '0b7f3c4e-2d1a-4c5b-9e8f-1a2b3c4d5e6f',
  });

  /** What a token request, a sign-in step and the maintenance loop send. */
  async function exercise(): Promise<void> {
    await adapter('Session').upsert('s1', { kind: 'Session', uid: 'uid-1' }, 60);
    await adapter('Grant').upsert('g1', { kind: 'Grant' }, 60);
    await adapter('RefreshToken').upsert('rt1', token('g1'), 60);
    await adapter('DeviceCode').upsert('dc1', { kind: 'DeviceCode', userCode: 'U-1' }, 60);
    await adapter('Session').findByUid('uid-1');
    await adapter('DeviceCode').findByUserCode('U-1');
    await adapter('RefreshToken').find('rt1');
    await adapter('RefreshToken').consume('rt1');
    await adapter('AccessToken').revokeByGrantId('g1');
    await adapter('Session').destroy('s1');
    const scope = new AdapterScope(true);
    await runInScope(scope, async () => {
      await adapter('RefreshToken').find('rt1');
      await adapter('RefreshToken').consume('rt1');
      await adapter('RefreshToken').upsert('rt2', token('g1'), 60);
      await adapter('Interaction').destroy('i1');
      await adapter('AccessToken').revokeByGrantId('g0');
    });
    // With what rides along: the token endpoint's rate-limit gate and a session's activity.
    const limits = new RateLimits(createRateLimitStore(db), { ...RATE_LIMIT_POLICIES });
    scope.sideWrites.push(new SessionActivityStore(db).touchWrite('uid-1', 'a', '127.0.0.1', 'test'));
    const gate = limits.gate('TOKEN_ENDPOINT_PER_CLIENT', 'client:c');
    await flushWrites(db, scope, { removalsOnly: false, reuseSeconds: 10, gate });
    await limits.applyAll([
      { name: 'TOKEN_ENDPOINT_PER_CLIENT', subject: 'ip:1', mode: 'check' },
      { name: 'TOKEN_ENDPOINT_PER_CLIENT', subject: 'ip:2', mode: 'consume' },
    ]);
    await purgeExpiredPayloads(db);
  }

  it('has no sequential scan of oidc_payloads (or the users, rate-limit and activity rows read with it)', async () => {
    const statements = captured.filter((c) => /oidc_payloads|rate_limit_hits/i.test(c.sql));
    expect(statements.length).toBeGreaterThanOrEqual(12);
    const connection = await db.client.acquireConnection();
    try {
      await connection.query('SET enable_seqscan = off');
      for (const { sql, bindings } of statements) {
        const { rows } = await connection.query(`EXPLAIN ${sql}`, bindings);
        const plan = rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n');
        if (process.env.SHOW_PLANS) console.log(`${sql}\n${plan}\n`);
        expect(plan, `${sql}\n${plan}`).not.toMatch(
          /Seq Scan on (oidc_payloads|users|rate_limit_hits|session_activity)\b/,
        );
      }
    } finally {
      await connection.query('RESET enable_seqscan');
      await db.client.releaseConnection(connection);
    }
  });
});
