import Koa from 'koa';
import type { Database } from '../db/database.ts';
import { healthRouter } from './health.ts';
import type { Metrics } from './metrics.ts';

/**
 * The management listener (MANAGEMENT_PORT), as Keycloak's management interface: /metrics,
 * /healthz and /readyz on a port of their own, which the operator keeps off the public network, so
 * the metrics need no exposure on the public port at all. It serves nothing else: no pages, no
 * cookies, no OIDC. METRICS_TOKEN, when set, still applies here.
 */
export function createManagementApp(db: Database, metrics: Metrics): Koa {
  const app = new Koa();
  app.proxy = false;
  app.silent = true;
  for (const router of [healthRouter(db), metrics.router]) {
    app.use(router.routes()).use(router.allowedMethods());
  }
  app.use((ctx) => {
    ctx.status = 404;
    ctx.body = { error: 'not_found', message: 'The management port serves /metrics, /healthz and /readyz.' };
  });
  return app;
}
