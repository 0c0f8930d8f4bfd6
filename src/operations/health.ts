import Router from '@koa/router';
import type { Database } from '../db/database.ts';

/** `/healthz`: the process answers. `/readyz`: it can also reach its database. */
export function healthRouter(db: Database): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    try {
      await db.raw('select 1');
      ctx.body = { status: 'ready' };
    } catch {
      ctx.status = 503;
      ctx.body = { status: 'unavailable', reason: 'database unreachable' };
    }
  });
  return router;
}
