import type { Database } from '../db/database.ts';
import { purgeExpiredPayloads } from '../oidc/knex-adapter.ts';
import type { Logger } from './logger.ts';

/**
 * Periodic clean-up of expired rows. Every node runs it; the batched deletes are idempotent, so two
 * nodes purging at once only share the work.
 */
export function startMaintenance(db: Database, intervalSeconds: number, logger: Logger): () => void {
  const run = async () => {
    try {
      const payloads = await purgeExpiredPayloads(db);
      const tokens = await db('one_time_tokens')
        .where('expires_at', '<', db.raw("now() - interval '7 days'"))
        .delete();
      if (payloads || tokens) logger.info({ payloads, tokens }, 'purged expired rows');
    } catch (err) {
      logger.warn({ err }, 'purge of expired rows failed; will retry');
    }
  };
  const timer = setInterval(run, intervalSeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
