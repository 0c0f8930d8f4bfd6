import { withAdmin } from './postgres.ts';

const STALE_AFTER_MS = 2 * 3600 * 1000;

/**
 * Fails fast with a clear message when PostgreSQL is down, and drops databases that an earlier,
 * interrupted run left behind. Only old ones: another test run may be using the recent ones.
 */
export default async function setup(): Promise<void> {
  try {
    await withAdmin(async (c) => {
      const { rows } = await c.query<{ datname: string }>(
        "SELECT datname FROM pg_database WHERE datname LIKE 'gatehouse_test_%'",
      );
      for (const { datname } of rows) {
        const created = Number.parseInt(datname.split('_')[2] ?? '', 36);
        if (Number.isFinite(created) && Date.now() - created < STALE_AFTER_MS) continue;
        await c.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
      }
    });
  } catch (error) {
    throw new Error(
      `The tests need PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth): ${String(error)}`,
    );
  }
}
