import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeAll } from '../../src/operations/maintenance.ts';
import type { TestGatehouse } from '../support/gatehouse.ts';
import { type GatehouseSetup, startOnTestDatabase } from '../support/gatehouse-setup.ts';

/** Tables whose rows go stale without an expiry column, and what makes them stale. */
const STALE_WITHOUT_EXPIRES_AT = ['rate_limit_hits', 'audit_events', 'session_activity'];

/** One maintenance loop purges every table whose rows expire, each through its own store. */
describe('the maintenance loop', () => {
  let setup: GatehouseSetup;
  let gh: TestGatehouse;

  beforeAll(async () => {
    setup = await startOnTestDatabase();
    gh = setup.gh;
  });
  afterAll(() => setup?.close());

  it('covers every table with an expiry column, and each purge runs', async () => {
    const { rows } = await gh.gatehouse.db.raw<{ rows: Array<{ table_name: string }> }>(
      `SELECT table_name FROM information_schema.columns
        WHERE table_schema = current_schema() AND column_name = 'expires_at'`,
    );
    const names = gh.gatehouse.expiring.map((t) => t.name);
    for (const { table_name } of rows) expect(names).toContain(table_name);
    for (const table of STALE_WITHOUT_EXPIRES_AT) expect(names).toContain(table);
    const purged = await purgeAll(gh.gatehouse.expiring);
    expect(Object.keys(purged).sort()).toEqual([...names].sort());
  });
});
