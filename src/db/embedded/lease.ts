import { createServer } from 'node:net';
import pg from 'pg';
import { CLUSTER_ROLE, type EmbeddedCluster, type PostmasterState } from './cluster.ts';

/**
 * Every process using the embedded cluster (each `serve`, each worker, each CLI command) holds this
 * advisory lock in shared mode for as long as it uses the cluster. Whoever leaves last — the only
 * one able to take it exclusively — stops the cluster. Any fixed number would do.
 */
const LEASE_KEY = 4_741_826_354;

export interface ClusterLease {
  /**
   * postgres:// URL of `database` in the running cluster: over its Unix-domain socket when it has
   * one this process can reach (cheaper per query than TCP), else over loopback TCP.
   */
  url: string;
  /** True when this process started the postmaster; false when it joined a running one. */
  started: boolean;
  /** Stops using the cluster; stops the cluster too when nobody else uses it. Answers whether it did. */
  leave(): Promise<boolean>;
}

export interface JoinOptions {
  /** Database to use, created when missing. Default `gatehouse`. */
  database?: string;
  timeoutMs?: number;
}

// Class 28 (credentials) and 3D (no such database) will not change by waiting.
const PERMANENT = /^(28|3D)/;
const START_ATTEMPTS = 3;

/**
 * Joins the cluster under `DATA_DIR`, starting it first when no postmaster holds it (initdb on
 * first use). A postmaster left running by a Gatehouse that was killed is simply joined. A cluster
 * that is starting or stopping is waited for; one being stopped by the last process to leave as we
 * arrive ends our connection, and the next round starts it again.
 */
export async function joinCluster(
  cluster: EmbeddedCluster,
  options: JoinOptions = {},
): Promise<ClusterLease> {
  await cluster.initialise();
  const database = options.database ?? 'gatehouse';
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let started = false;
  let failedStarts = 0;
  let lastError: unknown;
  for (;;) {
    const postmaster = cluster.postmaster();
    if (postmaster?.alive && postmaster.status === 'ready') {
      try {
        return await holdLease(cluster, postmaster, database, started);
      } catch (error) {
        if (PERMANENT.test(errorCode(error))) throw error;
        lastError = error;
      }
    } else if (!postmaster?.alive) {
      try {
        await cluster.start(await freePort());
        started = true;
        continue;
      } catch (error) {
        // Lost the race to another starter (fine), or a real failure (port taken, permissions).
        lastError = error;
        if (!cluster.postmaster()?.alive && ++failedStarts >= START_ATTEMPTS)
          throw startFailure(cluster, error);
      }
    }
    if (Date.now() > deadline) throw startFailure(cluster, lastError);
    await new Promise((r) => setTimeout(r, 150));
  }
}

async function holdLease(
  cluster: EmbeddedCluster,
  postmaster: PostmasterState,
  database: string,
  started: boolean,
): Promise<ClusterLease> {
  const { client, socketDir } = await connect(cluster, postmaster);
  try {
    await client.query('SELECT pg_advisory_lock_shared($1)', [LEASE_KEY]);
    await ensureDatabase(client, database);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return {
    url: cluster.url(postmaster.port, database, socketDir),
    started,
    leave: () => leave(client, cluster),
  };
}

/**
 * The lease's connection, through the socket when the postmaster has one; when this process cannot
 * use it (an error of the operating system's, not PostgreSQL's: no access to the directory), over
 * TCP, and so will every connection of this process be.
 */
async function connect(
  cluster: EmbeddedCluster,
  postmaster: PostmasterState,
): Promise<{ client: pg.Client; socketDir: string | undefined }> {
  if (postmaster.socketDir) {
    try {
      return {
        client: await connectVia(cluster, postmaster.socketDir, postmaster.port),
        socketDir: postmaster.socketDir,
      };
    } catch (error) {
      // PostgreSQL answered (a wrong password, shutting down): TCP would hear the same.
      if (error instanceof pg.DatabaseError) throw error;
    }
  }
  return { client: await connectVia(cluster, '127.0.0.1', postmaster.port), socketDir: undefined };
}

async function connectVia(cluster: EmbeddedCluster, host: string, port: number): Promise<pg.Client> {
  const client = new pg.Client({
    host,
    port,
    user: CLUSTER_ROLE,
    password: cluster.password(),
    database: 'postgres',
    application_name: 'gatehouse-lease',
  });
  // The cluster stopping under a running process ends this connection; the pool reports the outage.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

/**
 * Keeps the exclusive lock while stopping: a process arriving meanwhile waits on its shared lock,
 * is disconnected by the shutdown, and starts the cluster again instead of using a dying one.
 */
async function leave(client: pg.Client, cluster: EmbeddedCluster): Promise<boolean> {
  try {
    await client.query('SELECT pg_advisory_unlock_shared($1)', [LEASE_KEY]);
    const { rows } = await client.query<{ last: boolean }>('SELECT pg_try_advisory_lock($1) AS last', [
      LEASE_KEY,
    ]);
    if (!rows[0]?.last) return false;
    await cluster.stop();
    return true;
  } catch {
    // The cluster is already gone (stopped by someone else, or killed): nothing left to stop.
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** How many processes use the cluster now: each running Gatehouse process (and command) holds one lease. */
export async function leaseHolders(db: {
  raw(sql: string, bindings: number[]): Promise<unknown>;
}): Promise<number> {
  const result = (await db.raw(
    `SELECT count(*)::int AS n FROM pg_locks
      WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = ?`,
    [LEASE_KEY],
  )) as { rows: Array<{ n: number }> };
  return result.rows[0]?.n ?? 0;
}

async function ensureDatabase(client: pg.Client, database: string): Promise<void> {
  const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
  if (rowCount) return;
  try {
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } catch (error) {
    // Another process created it at the same moment.
    if (!['42P04', '23505'].includes(errorCode(error))) throw error;
  }
}

function startFailure(cluster: EmbeddedCluster, cause: unknown): Error {
  const reason = cause instanceof Error ? cause.message : String(cause ?? 'it did not become ready');
  const log = cluster.logTail();
  return new Error(
    `the embedded PostgreSQL in ${cluster.pgdata} did not start: ${reason}${log ? ` (server.log: ${log})` : ''}`,
  );
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : '';
}

/** A loopback port nobody listens on now; PostgreSQL failing to bind it is retried with another. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolvePort(address.port)
          : reject(new Error('no free port')),
      );
    });
  });
}
