import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { DatabaseAvailability } from '../db/availability.ts';
import type { Logger } from '../operations/logger.ts';
import { databaseUnavailable, toAppError } from './error-handler.ts';

/**
 * Gives every request an id (the caller's `X-Request-Id` when it looks sane), a child logger
 * carrying it, one access-log line when the response is done, and a plain 4xx/500 answer for an
 * error that escaped every handler.
 */
export function requestContext(logger: Logger, availability?: DatabaseAvailability): Middleware {
  return async (ctx, next) => {
    const incoming = ctx.get('x-request-id');
    const id = /^[\w.-]{1,128}$/.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = id;
    ctx.state.log = logger.child({ requestId: id });
    ctx.set('X-Request-Id', id);
    const started = performance.now();
    try {
      await next();
    } catch (error) {
      // The last line: an error that no handler took. oidc-provider persists a changed session
      // after its own error handler has run, so a failure there ends up here; Koa's default
      // handler would answer it but, with `app.silent`, log nothing.
      const appError = availability?.report(error) ? databaseUnavailable() : toAppError(error);
      if (appError.status >= 500 && appError.code !== 'service_unavailable') {
        ctx.state.log.error({ err: error }, 'unhandled error');
      }
      const retryAfter = appError.details?.retryAfterSeconds;
      if (typeof retryAfter === 'number' && !ctx.headerSent) ctx.set('Retry-After', String(retryAfter));
      if (ctx.headerSent) return;
      ctx.status = appError.status;
      ctx.body = { error: appError.code, message: appError.message };
    } finally {
      ctx.state.log.info(
        {
          method: ctx.method,
          path: loggablePath(ctx.path),
          status: ctx.status,
          ms: Math.round(performance.now() - started),
        },
        'request',
      );
    }
  };
}

/** The path without the one secret a path carries: the first-run setup token (`/setup/<token>`). */
export function loggablePath(path: string): string {
  return path.replace(/^\/setup\/[^/]+/, '/setup/[token]');
}
