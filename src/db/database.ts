import knex, { type Knex } from 'knex';
import type { Settings } from '../config/settings.ts';
import type { Logger } from '../operations/logger.ts';
import { namePreparedStatements } from './prepared-statements.ts';

export type Database = Knex;

/** A knex pool and what it takes to let go of it (and of the embedded cluster, if that is where it points). */
export interface OpenDatabase {
  db: Database;
  /** Where `db` points, so that a command can name it in a message. */
  embedded: boolean;
  /** The connection URL (the embedded cluster's too), for the one LISTEN connection. */
  url: string;
  close(): Promise<void>;
}

/**
 * PostgreSQL at `DATABASE_URL`; when it is unset, the embedded cluster under `DATA_DIR`, started or
 * joined here (src/db/embedded/). Either way the rest of Gatehouse gets the same `pg` pool.
 */
export async function openDatabase(
  settings: Pick<Settings, 'databaseUrl' | 'dataDir'> &
    Partial<Pick<Settings, 'databasePoolMax' | 'databasePreparedStatements'>> &
    Partial<DatabaseTimeouts>,
  logger?: Logger,
): Promise<OpenDatabase> {
  const poolMax = settings.databasePoolMax ?? 10;
  const preparedStatements = settings.databasePreparedStatements ?? true;
  if (settings.databaseUrl) {
    const db = createDatabase(settings.databaseUrl, logger, { ...settings, poolMax, preparedStatements });
    return { db, embedded: false, url: settings.databaseUrl, close: () => db.destroy() };
  }
  // Loaded on demand: a deployment on external PostgreSQL never touches the embedded binaries.
  const { EmbeddedCluster } = await import('./embedded/cluster.ts');
  const { joinCluster } = await import('./embedded/lease.ts');
  const cluster = await EmbeddedCluster.open({ dataDir: settings.dataDir });
  const lease = await joinCluster(cluster);
  logger?.debug({ started: lease.started, pgdata: cluster.pgdata }, 'embedded PostgreSQL joined');
  const db = createDatabase(lease.url, logger, { ...settings, poolMax, preparedStatements });
  return {
    db,
    embedded: true,
    url: lease.url,
    async close() {
      await db.destroy();
      if (await lease.leave()) logger?.debug({ pgdata: cluster.pgdata }, 'embedded PostgreSQL stopped');
    },
  };
}

export interface DatabaseTimeouts {
  /** Waiting for a connection (a new one, or a free one from the pool). */
  dbConnectTimeoutMs: number;
  /** PostgreSQL's statement_timeout; the client gives up one second later if no answer comes at all. */
  dbStatementTimeoutMs: number;
}

/**
 * A knex pool on PostgreSQL through `pg`. Nothing waits forever: not for a connection, not for a
 * statement, not for a server that stopped answering (the client-side query_timeout).
 */
export function createDatabase(
  databaseUrl: string,
  logger?: Logger,
  options: Partial<DatabaseTimeouts> & { poolMax?: number; preparedStatements?: boolean } = {},
): Database {
  const log = logger ? knexLog(logger) : undefined;
  const connectMs = options.dbConnectTimeoutMs ?? 5000;
  const statementMs = options.dbStatementTimeoutMs ?? 15_000;
  const db = knex({
    client: 'pg',
    connection: {
      connectionString: databaseUrl,
      connectionTimeoutMillis: connectMs,
      statement_timeout: statementMs,
      query_timeout: statementMs + 1000,
      keepAlive: true,
    },
    acquireConnectionTimeout: connectMs,
    pool: { min: 0, max: options.poolMax ?? 10 },
    ...(log ? { log } : {}),
  });
  if (options.preparedStatements) namePreparedStatements(db);
  return db;
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
