import type { Context, Middleware } from 'koa';
import type { z } from 'zod';
import { containsUnstorableText } from '../db/unstorable-text.ts';
import { AppError } from '../errors/app-error.ts';

/**
 * Our forms and JSON calls take nothing else. Without this a multipart or text body was read as
 * empty and then refused for a reason that is not the real one ("the form has expired").
 */
export const formOrJsonOnly: Middleware = async (ctx, next) => {
  // is() answers null when there is no body at all, false when the body is of another type.
  if (ctx.request.is('urlencoded', 'json') === false) throw new AppError('unsupported_media_type');
  await next();
};

/** Validates a request body (form or JSON); a bad body is a 400 naming each wrong field. */
export function parseBody<S extends z.ZodType>(ctx: Context, schema: S): z.infer<S> {
  const body: unknown = ctx.request.body ?? {};
  // Checked for every field at once, before any schema: a NUL that reached PostgreSQL (an email
  // looked up, a name stored) would fail the query and answer 500.
  if (containsUnstorableText(body)) {
    throw new AppError('invalid_input', 'The request contains characters that are not allowed.');
  }
  return parse(schema, body);
}

export function parse<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const key = issue.path.join('.') || 'body';
    fields[key] ??= issue.message;
  }
  const summary = Object.entries(fields)
    .map(([k, m]) => `${k}: ${m}`)
    .join('; ');
  throw new AppError('invalid_input', `The request is not valid (${summary}).`, { fields });
}
