import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import knex, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import type { Settings } from '../config/settings.ts';
import type { Logger } from '../operations/logger.ts';

export type Database = Knex;

/**
 * PostgreSQL through `pg` when `DATABASE_URL` is set; otherwise embedded PostgreSQL (PGlite) under
 * `dataDir`, so `npm start` works on a bare machine with the same SQL and migrations.
 */
export function createDatabase(
  settings: Pick<Settings, 'databaseUrl' | 'dataDir'>,
  logger?: Logger,
): Database {
  const log = logger ? knexLog(logger) : undefined;
  if (settings.databaseUrl) {
    return knex({
      client: 'pg',
      connection: settings.databaseUrl,
      pool: { min: 0, max: 10 },
      ...(log ? { log } : {}),
    });
  }
  const filename = join(settings.dataDir, 'pglite');
  mkdirSync(filename, { recursive: true });
  return knex({
    client: ClientPgLite,
    dialect: 'postgres',
    connection: { filename },
    useNullAsDefault: false,
    ...(log ? { log } : {}),
  });
}

/**
 * knex prints its warnings with console.log, colours and stack traces; route them into the structured
 * log instead. A failed connection attempt also rejects the query that needed it, and that error is
 * what callers report, so knex's own copy of it is only worth a debug line.
 */
function knexLog(logger: Logger): Knex.Config['log'] {
  return {
    warn: (message: string) =>
      message.startsWith('Acquire connection error')
        ? logger.debug({ knex: message }, 'database connection attempt failed')
        : logger.warn({ knex: message }, 'knex warning'),
    error: (message: string) => logger.error({ knex: message }, 'knex error'),
    deprecate: (message: string) => logger.warn({ knex: message }, 'knex deprecation'),
    debug: (message: string) => logger.debug({ knex: message }, 'knex debug'),
  };
}

export function isEmbedded(settings: Pick<Settings, 'databaseUrl'>): boolean {
  return !settings.databaseUrl;
}

/** Runs `work` in a transaction, or inside the caller's transaction when one is given. */
export function inTransaction<T>(db: Database, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return db.transaction(work);
}
