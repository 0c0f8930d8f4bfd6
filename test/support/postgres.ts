import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

/**
 * The run's PostgreSQL (test/support/global-setup.ts): the embedded cluster it started, or
 * TEST_POSTGRES_URL. A superuser URL; tests make their own databases in it.
 */
export const ADMIN_URL = inject('postgresAdminUrl');

/** True when the suite also runs against an external server (TEST_POSTGRES_URL). */
export const EXTERNAL_POSTGRES = Boolean(process.env.TEST_POSTGRES_URL);

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh, empty database for one test file; dropped (connections and all) afterwards. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `gatehouse_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () =>
      withAdmin(async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }),
  };
}

export async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
