import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { EmbeddedCluster } from '../src/db/embedded/cluster.ts';
import { joinCluster } from '../src/db/embedded/lease.ts';

const PREFIX = 'gatehouse_bench_';
/** A run takes minutes (a soak, a scale run longer); anything older was left by an interrupted one. */
const STALE_AFTER_MS = 6 * 3600_000;

export interface BenchDatabase {
  url: string;
  /** Where it runs: `embedded` or the server's host and port. */
  server: string;
  drop(): Promise<void>;
}

/**
 * A fresh database for one run: on the PostgreSQL at BENCH_POSTGRES_URL (or DATABASE_URL), or,
 * with neither set, on an embedded cluster in a temporary directory, as `gatehouse serve` runs
 * without DATABASE_URL; a newcomer needs nothing but Node. The embedded cluster keeps PostgreSQL's
 * defaults (fsync and synchronous_commit on): what a deployment pays is what is measured.
 * Databases left by an interrupted run on a shared server are dropped first.
 */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const external = process.env.BENCH_POSTGRES_URL ?? process.env.DATABASE_URL;
  if (external) return createOn(external, new URL(external).host, async () => undefined);
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  const cluster = await EmbeddedCluster.open({ dataDir, serverSettings: { max_connections: '200' } });
  const lease = await joinCluster(cluster, { database: 'postgres' });
  return createOn(lease.url, 'embedded', async () => {
    await lease.leave();
    rmSync(dataDir, { recursive: true, force: true });
  });
}

async function createOn(
  adminUrl: string,
  server: string,
  release: () => Promise<void>,
): Promise<BenchDatabase> {
  const name = `${PREFIX}${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await withAdmin(adminUrl, async (c) => {
    const { rows } = await c.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname LIKE $1',
      [`${PREFIX}%`],
    );
    for (const { datname } of rows.filter((r) => isStale(r.datname))) {
      await c.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    }
    await c.query(`CREATE DATABASE ${name}`);
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    server,
    async drop() {
      await withAdmin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      await release();
    },
  };
}

function isStale(name: string): boolean {
  const created = Number.parseInt(name.slice(PREFIX.length).split('_')[0] ?? '', 36);
  return Number.isFinite(created) && Date.now() - created > STALE_AFTER_MS;
}

async function withAdmin(url: string, work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`npm run bench could not reach PostgreSQL at ${url}: ${String(error)}`);
  }
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
