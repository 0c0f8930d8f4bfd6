import type { Context, Middleware } from 'koa';
import { type DatabaseAvailability, RETRY_AFTER_SECONDS } from '../db/availability.ts';
import { AppError, type ErrorCode } from '../errors/app-error.ts';
import { pageMessage } from '../i18n/page-message.ts';
import type { Views } from '../rendering/views.ts';

/**
 * Turns every error from our own routes into a clear 4xx, or a 500 without details. JSON callers
 * (the APIs) get `{ error, message }`; people get the error page.
 */
export function errorHandler(views: Views, availability?: DatabaseAvailability): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (availability?.report(error)) return respond(ctx, views, databaseUnavailable());
      const appError = toAppError(error);
      if (appError.status >= 500) {
        ctx.state.log?.error({ err: error }, 'unhandled error');
      }
      respond(ctx, views, appError);
    }
  };
}

/** 503 with Retry-After: the database is away (DatabaseAvailability has logged it, once). */
export function databaseUnavailable(): AppError {
  return new AppError('service_unavailable', undefined, { retryAfterSeconds: RETRY_AFTER_SECONDS });
}

export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  // Errors from body parsing and koa's ctx.throw carry a status and are safe to show (`expose`).
  // oidc-provider's errors (from interactionResult, say) carry their message as `error_description`;
  // their `message` is the bare code ("invalid_request").
  const e = error as {
    status?: number;
    expose?: boolean;
    message?: string;
    type?: string;
    error_description?: unknown;
  };
  if (typeof e?.status === 'number' && e.status < 500) {
    const code = codeForStatus(e.status);
    const described = typeof e.error_description === 'string' ? e.error_description : e.message;
    // co-body, under @koa/bodyparser, throws JSON.parse's SyntaxError with a 400 status and no type.
    const message =
      e.type === 'entity.parse.failed' || error instanceof SyntaxError
        ? 'The request body is not valid JSON.'
        : e.expose
          ? described
          : undefined;
    return new AppError(code, message);
  }
  return new AppError('internal');
}

function codeForStatus(status: number): ErrorCode {
  const byStatus: Record<number, ErrorCode> = {
    403: 'forbidden',
    404: 'not_found',
    413: 'payload_too_large',
    415: 'unsupported_media_type',
    429: 'rate_limited',
  };
  return byStatus[status] ?? 'invalid_input';
}

export function wantsJson(ctx: Context): boolean {
  return ctx.path.startsWith('/api/') || ctx.accepts('html', 'json') === 'json';
}

/** Answers `error` as JSON for APIs or as the error page for people, with Retry-After when known. */
export function respond(ctx: Context, views: Views, error: AppError): void {
  ctx.status = error.status;
  const retryAfter = error.details?.retryAfterSeconds;
  if (typeof retryAfter === 'number') ctx.set('Retry-After', String(retryAfter));
  if (wantsJson(ctx)) {
    ctx.body = {
      error: error.code,
      message: error.message,
      ...(error.details ? { details: error.details } : {}),
    };
    return;
  }
  ctx.type = 'html';
  const t = views.translator();
  const message = pageMessage(t, error);
  ctx.body = views.render('errors/error.njk', {
    status: error.status,
    title: t(error.status >= 500 ? 'error.title.server' : 'error.title.client'),
    message,
    next: nextStep(error),
    back: pageToRetry(ctx),
    requestId: ctx.state.requestId,
  });
}

/** The page whose form was sent: a sign-in step's own page, or the path the form was posted to. */
function pageToRetry(ctx: Context): string {
  const step = /^\/interaction\/[\w-]+/.exec(ctx.path);
  return step ? step[0] : ctx.path;
}

/** The way on from an error page: what the person can do next. */
function nextStep(error: AppError): 'back' | 'reset' | 'application' | 'later' | 'home' {
  if (error.code === 'csrf_failed' || error.code === 'invalid_input') return 'back';
  if (error.code === 'token_invalid') return 'reset';
  if (error.code === 'interaction_expired') return 'application';
  if (error.status >= 500 || error.code === 'rate_limited') return 'later';
  return 'home';
}
