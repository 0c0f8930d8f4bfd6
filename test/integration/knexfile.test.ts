import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/database.ts';
import { knownMigrations, migrateLatest } from '../../src/db/migrations.ts';
import { TEST_SECRET_KEY } from '../support/gatehouse.ts';
import { createTestDatabase } from '../support/postgres.ts';

const run = promisify(execFile);

describe('knexfile.ts: knex’s own CLI on Gatehouse’s database and migrations', () => {
  it('lists the pending migrations by name, then none once Gatehouse has migrated', async () => {
    const db = await createTestDatabase();
    const knex = (args: string[]) =>
      run('npx', ['knex', ...args], {
        env: { ...process.env, DATABASE_URL: db.url, SECRET_KEY: TEST_SECRET_KEY, NODE_ENV: 'test' },
      });
    try {
      const before = (await knex(['migrate:status'])).stdout;
      const names = await knownMigrations();
      expect(before).toContain(`Found ${names.length} Pending Migration file/files.`);
      for (const name of names) expect(before).toContain(name);

      const pool = createDatabase(db.url);
      await migrateLatest(pool);
      await pool.destroy();
      const after = (await knex(['migrate:status'])).stdout;
      expect(after).toContain(`Found ${names.length} Completed Migration file/files.`);
      expect(after).toContain('No Pending Migration files Found.');
    } finally {
      await db.drop();
    }
  }, 120_000);
});
