import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../src/db/database.ts';
import { migrateLatest, pendingMigrations } from '../../src/db/migrations.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

const migrationFiles = readdirSync(fileURLToPath(new URL('../../migrations/', import.meta.url))).filter((f) =>
  /^\d{14}_[\w-]+\.ts$/.test(f),
);

describe('migrations when two nodes start at once', () => {
  const opened: Database[] = [];
  const databases: TestDatabase[] = [];

  /** A fresh database and `count` independent pools on it, as `count` Gatehouse nodes would have. */
  async function nodes(count: number): Promise<Database[]> {
    const database = await createTestDatabase();
    databases.push(database);
    const pools = Array.from({ length: count }, () => createDatabase(database.url));
    opened.push(...pools);
    return pools;
  }

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((db) => db.destroy()));
    await Promise.all(databases.splice(0).map((d) => d.drop()));
  });

  it('applies the schema exactly once and lets both nodes start', async () => {
    expect(migrationFiles.length).toBeGreaterThan(0);
    const [a, b] = await nodes(2);
    if (!a || !b) throw new Error('two pools expected');

    const applied = await Promise.all([migrateLatest(a, 30_000), migrateLatest(b, 30_000)]);

    // Between them the two nodes applied each file once; one of them found nothing left to do.
    expect(applied.flat().sort()).toEqual([...migrationFiles].sort());
    const rows: Array<{ name: string }> = await a('knex_migrations').select('name');
    expect(rows.map((r) => r.name).sort()).toEqual([...migrationFiles].sort());
    expect(await pendingMigrations(b)).toEqual([]);
    // knex's lock is free again, so the next start (or `gatehouse migrate`) is not refused.
    const locks: Array<{ is_locked: number }> = await a('knex_migrations_lock').select('is_locked');
    expect(locks).toEqual([{ is_locked: 0 }]);
    expect(await migrateLatest(b, 5_000)).toEqual([]);
  });

  it('applies everything once, round after round, when four nodes race', async () => {
    // The race it guards against is lost only now and then; several rounds make a regression show.
    for (let round = 0; round < 4; round++) {
      const pools = await nodes(4);

      const applied = await Promise.all(pools.map((db) => migrateLatest(db, 30_000)));

      expect(applied.flat().sort()).toEqual([...migrationFiles].sort());
      const [first] = pools;
      const rows = await first?.('knex_migrations').count<Array<{ count: string }>>({ count: '*' });
      expect(Number(rows?.[0]?.count)).toBe(migrationFiles.length);
      const locks: unknown[] = (await first?.('knex_migrations_lock').select()) ?? [];
      expect(locks).toHaveLength(1);
    }
  });
});
