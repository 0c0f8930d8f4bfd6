import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

const METRICS_TOKEN = 'metrics-token-0123456789';

/** Issue 10: audit_events grew forever, and /metrics was public. */
describe('audit retention and private metrics', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({
      databaseUrl: db.url,
      env: { AUDIT_RETENTION_DAYS: '30', PURGE_INTERVAL_SECONDS: '1', METRICS_TOKEN },
    });
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  it('purges audit events older than AUDIT_RETENTION_DAYS and keeps the rest', async () => {
    const insert = (type: string, daysAgo: number) =>
      gh.gatehouse.db('audit_events').insert({
        type,
        at: gh.gatehouse.db.raw('now() - make_interval(days => ?)', [daysAgo]),
        details: '{}',
      });
    await insert('OldEvent', 31);
    await insert('RecentEvent', 29);
    await expect
      .poll(async () => (await gh.gatehouse.db('audit_events').where({ type: 'OldEvent' })).length, {
        timeout: 10_000,
      })
      .toBe(0);
    expect(await gh.gatehouse.db('audit_events').where({ type: 'RecentEvent' })).toHaveLength(1);
  });

  it('serves /metrics only with the bearer token', async () => {
    expect((await fetch(`${gh.issuer}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${gh.issuer}/metrics`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const right = await fetch(`${gh.issuer}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(right.status).toBe(200);
    expect(await right.text()).toContain('gatehouse_http_request_duration_seconds');
  });
});
