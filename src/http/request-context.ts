import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../operations/logger.ts';
import { toAppError } from './error-handler.ts';

/**
 * Gives every request an id (the caller's `X-Request-Id` when it looks sane), a child logger
 * carrying it, one access-log line when the response is done, and a plain 4xx/500 answer for an
 * error that escaped every handler.
 */
export function requestContext(logger: Logger): Middleware {
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
      const appError = toAppError(error);
      if (appError.status >= 500) ctx.state.log.error({ err: error }, 'unhandled error');
      if (ctx.headerSent) return;
      ctx.status = appError.status;
      ctx.body = { error: appError.code, message: appError.message };
    } finally {
      ctx.state.log.info(
        {
          method: ctx.method,
          path: ctx.path,
          status: ctx.status,
          ms: Math.round(performance.now() - started),
        },
        'request',
      );
    }
  };
}
