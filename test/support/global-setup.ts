import { withAdmin } from './postgres.ts';

/**
 * Fails fast with a clear message when PostgreSQL is down, and drops databases that an earlier,
 * interrupted run left behind.
 */
export default async function setup(): Promise<void> {
  try {
    await withAdmin(async (c) => {
      const { rows } = await c.query<{ datname: string }>(
        "SELECT datname FROM pg_database WHERE datname LIKE 'gatehouse_test_%'",
      );
      for (const { datname } of rows) await c.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    });
  } catch (error) {
    throw new Error(
      `The tests need PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth): ${String(error)}`,
    );
  }
}
