import { type StartOptions, startGatehouse, type TestGatehouse } from './gatehouse.ts';
import { createTestDatabase, type TestDatabase } from './postgres.ts';

/** A Gatehouse on a database of its own. */
export interface GatehouseSetup {
  db: TestDatabase;
  gh: TestGatehouse;
  /** Stops Gatehouse and drops its database. */
  close(): Promise<void>;
}

/** The usual `beforeAll`: a fresh database, and Gatehouse on it (the database dropped if that fails). */
export async function startOnTestDatabase(
  options: Omit<StartOptions, 'databaseUrl'> = {},
): Promise<GatehouseSetup> {
  const db = await createTestDatabase();
  let gh: TestGatehouse;
  try {
    gh = await startGatehouse({ ...options, databaseUrl: db.url });
  } catch (error) {
    await db.drop();
    throw error;
  }
  return {
    db,
    gh,
    async close() {
      await gh.stop();
      await db.drop();
    },
  };
}
