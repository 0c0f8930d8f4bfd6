import { timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import type { Middleware } from 'koa';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  middleware: Middleware;
  router: Router;
}

/** Prometheus metrics: process defaults and one request histogram labelled by route, not by raw path. */
export function createMetrics(options: { token?: string | undefined } = {}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const middleware: Middleware = async (ctx, next) => {
    const end = duration.startTimer();
    try {
      await next();
    } finally {
      // oidc-provider names its routes (ctx.oidc.route); ours have a router path; the rest is "other",
      // so random URLs cannot blow up the label set.
      const route =
        (ctx.oidc?.route as string | undefined) ?? (ctx._matchedRoute as string | undefined) ?? 'other';
      end({ method: ctx.method, route: String(route), status: String(ctx.status) });
    }
  };
  const router = new Router();
  const expected = options.token ? Buffer.from(`Bearer ${options.token}`) : undefined;
  router.get('/metrics', async (ctx) => {
    // METRICS_TOKEN: the metrics tell an outsider a lot (routes, error rates, load), so they can be
    // kept for the scraper that holds the token.
    const given = Buffer.from(ctx.get('authorization'));
    if (expected && (given.length !== expected.length || !timingSafeEqual(given, expected))) {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Bearer realm="gatehouse-metrics"');
      ctx.body = { error: 'unauthenticated', message: 'Send Authorization: Bearer <METRICS_TOKEN>.' };
      return;
    }
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  return { registry, middleware, router };
}
