import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { EmbeddedCluster } from '../../src/db/embedded/cluster.ts';
import { joinCluster } from '../../src/db/embedded/lease.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the server every test file makes its own database in. */
    postgresAdminUrl: string;
  }
}

const STALE_AFTER_MS = 2 * 3600 * 1000;
const CLUSTER_PREFIX = 'gatehouse-test-cluster-';

/**
 * One PostgreSQL for the whole run: TEST_POSTGRES_URL when set, otherwise an embedded cluster in a
 * temporary folder on a free loopback port, so `npm test` needs nothing but Node and npm. Each test
 * file then makes its own database in it (test/support/postgres.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.TEST_POSTGRES_URL;
  if (external) {
    await dropStaleDatabases(external);
    project.provide('postgresAdminUrl', external);
    return async () => undefined;
  }
  await removeStaleClusters();
  const dataDir = mkdtempSync(join(tmpdir(), CLUSTER_PREFIX));
  const cluster = await EmbeddedCluster.open({
    dataDir,
    // Throw-away data: durability only costs time here. Files run in parallel, each with servers.
    serverSettings: {
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      max_connections: '300',
    },
  });
  const lease = await joinCluster(cluster, { database: 'postgres' });
  project.provide('postgresAdminUrl', lease.url);
  return async () => {
    await lease.leave();
    rmSync(dataDir, { recursive: true, force: true });
  };
}

/** Clusters of runs that were killed before their teardown: stopped and removed once they are old. */
async function removeStaleClusters(): Promise<void> {
  for (const name of readdirSync(tmpdir()).filter((n) => n.startsWith(CLUSTER_PREFIX))) {
    const dataDir = join(tmpdir(), name);
    if (Date.now() - statSync(dataDir).mtimeMs < STALE_AFTER_MS) continue;
    const cluster = await EmbeddedCluster.open({ dataDir });
    await cluster.stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Databases an interrupted run left behind on the external server. Only old ones: another run may use the rest. */
async function dropStaleDatabases(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`TEST_POSTGRES_URL: cannot connect: ${String(error)}`);
  }
  try {
    const { rows } = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'gatehouse_test_%'",
    );
    for (const { datname } of rows) {
      const created = Number.parseInt(datname.split('_')[2] ?? '', 36);
      if (Number.isFinite(created) && Date.now() - created < STALE_AFTER_MS) continue;
      await client.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    }
  } finally {
    await client.end();
  }
}
