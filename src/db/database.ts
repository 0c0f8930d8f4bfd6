import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import knex, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import type { Settings } from '../config/settings.ts';

export type Database = Knex;

/**
 * PostgreSQL through `pg` when `DATABASE_URL` is set; otherwise embedded PostgreSQL (PGlite) under
 * `dataDir`, so `npm start` works on a bare machine with the same SQL and migrations.
 */
export function createDatabase(settings: Pick<Settings, 'databaseUrl' | 'dataDir'>): Database {
  if (settings.databaseUrl) {
    return knex({
      client: 'pg',
      connection: settings.databaseUrl,
      pool: { min: 0, max: 10 },
    });
  }
  const filename = join(settings.dataDir, 'pglite');
  mkdirSync(filename, { recursive: true });
  return knex({
    client: ClientPgLite,
    dialect: 'postgres',
    connection: { filename },
    useNullAsDefault: false,
  });
}

export function isEmbedded(settings: Pick<Settings, 'databaseUrl'>): boolean {
  return !settings.databaseUrl;
}

/** Runs `work` in a transaction, or inside the caller's transaction when one is given. */
export function inTransaction<T>(db: Database, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return db.transaction(work);
}
