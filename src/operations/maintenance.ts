import type { Logger } from './logger.ts';

/** A table whose rows expire; its store knows how to forget them. */
export interface ExpiringTable {
  name: string;
  purgeExpired(): Promise<number>;
}

/**
 * The one periodic clean-up: every expiring table (oidc-provider's payloads, one-time tokens,
 * upstream round trips and sessions, logout continuations) is purged by its own store. Every node
 * runs it; the deletes are idempotent, so two nodes purging at once only share the work.
 */
export function startMaintenance(
  tables: ExpiringTable[],
  intervalSeconds: number,
  logger: Logger,
): () => void {
  const run = async () => {
    const purged: Record<string, number> = {};
    for (const table of tables) {
      try {
        const count = await table.purgeExpired();
        if (count) purged[table.name] = count;
      } catch (err) {
        logger.warn({ err, table: table.name }, 'purge of expired rows failed; will retry');
      }
    }
    if (Object.keys(purged).length) logger.info({ purged }, 'purged expired rows');
  };
  const timer = setInterval(run, intervalSeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}

/** Runs one purge of every table now (tests, `gatehouse` commands). */
export async function purgeAll(tables: ExpiringTable[]): Promise<Record<string, number>> {
  const purged: Record<string, number> = {};
  for (const table of tables) purged[table.name] = await table.purgeExpired();
  return purged;
}
