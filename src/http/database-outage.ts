import type { Middleware } from 'koa';
import { type DatabaseAvailability, RETRY_AFTER_SECONDS } from '../db/availability.ts';
import type { Views } from '../rendering/views.ts';
import { databaseUnavailable, respond, wantsJson } from './error-handler.ts';

/**
 * oidc-provider answers any failure of its adapter as a 500 `server_error`. When the failure was the
 * database being away (its server_error listener set `ctx.state.databaseUnavailable`), the answer
 * becomes a 503 with Retry-After: the OAuth error shape for clients, the error page for people.
 * The same when the request's write statement finds the database away.
 */
export function providerOutage(views: Views, availability: DatabaseAvailability): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      // The request's write statement (AdapterUnitOfWork) runs after oidc-provider has answered,
      // so its failure is not a server_error event: the same outage, met one step later.
      if (!availability.report(error)) throw error;
      ctx.state.databaseUnavailable = true;
    }
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
