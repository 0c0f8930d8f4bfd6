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

/** Where the migrations are and how they load; knexfile.ts hands the same to knex's own CLI. */
export const migratorConfig: Knex.MigratorConfig = { migrationSource, tableName: 'knex_migrations' };
const config = migratorConfig;

/** Names Gatehouse's migration lock among PostgreSQL's advisory locks; any fixed number would do. */
const MIGRATION_LOCK_KEY = 4_741_826_353;

/**
 * Applies pending migrations. Nodes starting at once queue on a transaction-scoped advisory lock
 * before knex so much as looks for its bookkeeping tables: knex creates those tables and their lock
 * row without a lock of its own, and two nodes racing there fail with "already exists" (seen in
 * test/integration/migrations.test.ts) or can insert two lock rows, after which knex's lock, which
 * expects exactly one, can never be taken. The winner migrates and
 * commits; the others then find nothing left to apply. Everything runs in that one transaction
 * (the lock is the transaction's), so a migration that cannot run in a transaction (CREATE INDEX
 * CONCURRENTLY) does not belong here. knex's own lock still guards against a `knex migrate` run from
 * outside Gatehouse, which is the lock error this waits out.
 */
export async function migrateLatest(db: Database, waitMs = 120_000): Promise<string[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await db.transaction(async (trx) => {
        const wait = Math.max(1, deadline - Date.now());
        await trx.raw("SELECT set_config('lock_timeout', ?, true)", [`${wait}ms`]);
        await trx.raw('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK_KEY]);
        const [, applied] = (await trx.migrate.latest(config)) as [number, string[]];
        return applied;
      });
    } catch (error) {
      if (!isLockError(error) || Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** knex's lock is held by a migration run outside Gatehouse, or that run raced us to create knex's tables. */
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

/** The migrations this version of Gatehouse has, in the order they apply. */
export async function knownMigrations(): Promise<string[]> {
  return migrationSource.getMigrations([]);
}

export async function appliedMigrations(db: Database | Knex.Transaction): Promise<string[]> {
  const [applied] = (await db.migrate.list(config)) as [Array<{ name: string } | string>, unknown];
  return applied.map((a) => (typeof a === 'string' ? a : a.name));
}

/** Applies exactly `names`, in order, in the caller's transaction (a restore rebuilds a backup's schema). */
export async function migrateTo(trx: Knex.Transaction, names: string[]): Promise<void> {
  for (const name of names) await trx.migrate.up({ ...config, name });
}
