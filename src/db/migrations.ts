import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';
import type { Database } from './database.ts';

const directory = fileURLToPath(new URL('../../migrations/', import.meta.url));

interface MigrationModule {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/**
 * Loads the timestamped files in `migrations/` with `import()`, so the same TypeScript files run
 * under Node's type stripping and under vitest without a build step.
 */
const migrationSource: Knex.MigrationSource<string> = {
  async getMigrations() {
    const files = await readdir(directory);
    return files.filter((f) => /^\d{14}_[\w-]+\.ts$/.test(f)).sort();
  },
  getMigrationName(name) {
    return name;
  },
  async getMigration(name) {
    return (await import(new URL(name, `file://${directory}`).href)) as MigrationModule;
  },
};

const config: Knex.MigratorConfig = { migrationSource, tableName: 'knex_migrations' };

/**
 * Applies pending migrations. knex takes a lock row in `knex_migrations_lock` and refuses to run
 * while another process holds it; when two nodes start at once, the one that loses waits for the
 * winner to finish and then finds nothing left to apply, instead of failing or migrating twice.
 */
export async function migrateLatest(db: Database, waitMs = 120_000): Promise<string[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const [, applied] = (await db.migrate.latest(config)) as [number, string[]];
      return applied;
    } catch (error) {
      if (!isLockError(error) || Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** The other node holds the lock, or won the race to create knex's own bookkeeping tables. */
function isLockError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: string }).code;
  return (
    error.name === 'MigrationLocked' ||
    /already locked/i.test(error.message) ||
    code === '42P07' ||
    code === '23505'
  );
}

export async function pendingMigrations(db: Database): Promise<string[]> {
  const [, pending] = (await db.migrate.list(config)) as [unknown, Array<{ file: string } | string>];
  return pending.map((p) => (typeof p === 'string' ? p : p.file));
}
