import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The machine's PostgreSQL (trust auth on loopback), as the tests use it. */
const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PREFIX = 'gatehouse_bench_';
/** A run takes under three minutes; anything older was left by an interrupted one. */
const STALE_AFTER_MS = 10 * 60_000;

export interface BenchDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh database for one run. Databases left by an interrupted run are dropped first, so a
 * Ctrl-C never leaves the machine filling up with bench data; a run still going is left alone.
 */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `${PREFIX}${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await withAdmin(async (c) => {
    const { rows } = await c.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname LIKE $1',
      [`${PREFIX}%`],
    );
    for (const { datname } of rows.filter((r) => isStale(r.datname))) {
      await c.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    }
    await c.query(`CREATE DATABASE ${name}`);
  });
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      withAdmin(async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }),
  };
}

function isStale(name: string): boolean {
  const created = Number.parseInt(name.slice(PREFIX.length).split('_')[0] ?? '', 36);
  return Number.isFinite(created) && Date.now() - created > STALE_AFTER_MS;
}

async function withAdmin(work: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`npm run bench needs PostgreSQL at ${ADMIN_URL} (trust auth): ${String(error)}`);
  }
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
