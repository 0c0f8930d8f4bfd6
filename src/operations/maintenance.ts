import type { Database } from '../db/database.ts';
import { purgeExpiredPayloads } from '../oidc/knex-adapter.ts';
import type { Logger } from './logger.ts';

/**
 * Periodic clean-up of expired rows. Every node runs it; the batched deletes are idempotent, so two
 * nodes purging at once only share the work.
 */
export function startMaintenance(
  db: Database,
  intervalSeconds: number,
  logger: Logger,
  /** More purges, by name, each answering how many rows it deleted (rate-limit keys, old audit events). */
  more: Record<string, () => Promise<number>> = {},
): () => void {
  const run = async () => {
    try {
      const purged: Record<string, number> = {
        payloads: await purgeExpiredPayloads(db),
        tokens: await db('one_time_tokens')
          .where('expires_at', '<', db.raw("now() - interval '7 days'"))
          .delete(),
      };
      for (const [name, purge] of Object.entries(more)) purged[name] = await purge();
      if (Object.values(purged).some((n) => n > 0)) logger.info(purged, 'purged expired rows');
    } catch (err) {
      logger.warn({ err }, 'purge of expired rows failed; will retry');
    }
  };
  const timer = setInterval(run, intervalSeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
