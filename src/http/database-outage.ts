import type { Middleware } from 'koa';
import { RETRY_AFTER_SECONDS } from '../db/availability.ts';
import type { Views } from '../rendering/views.ts';
import { databaseUnavailable, respond, wantsJson } from './error-handler.ts';

/**
 * oidc-provider answers any failure of its adapter as a 500 `server_error`. When the failure was the
 * database being away (its server_error listener set `ctx.state.databaseUnavailable`), the answer
 * becomes a 503 with Retry-After: the OAuth error shape for clients, the error page for people.
 */
export function providerOutage(views: Views): Middleware {
  return async (ctx, next) => {
    await next();
    if (!ctx.state.databaseUnavailable) return;
    if (wantsJson(ctx) || ctx.method === 'POST') {
      ctx.status = 503;
      ctx.set('Retry-After', String(RETRY_AFTER_SECONDS));
      ctx.set('Cache-Control', 'no-store');
      ctx.body = {
        error: 'temporarily_unavailable',
        error_description: 'the database is not reachable right now; retry in a moment',
      };
      return;
    }
    respond(ctx, views, databaseUnavailable());
  };
}
