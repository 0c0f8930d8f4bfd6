import type { Context, Middleware } from 'koa';
import type { z } from 'zod';
import { containsUnstorableText } from '../db/unstorable-text.ts';
import { AppError } from '../errors/app-error.ts';
import { type Wording, type WordingValues, wording } from '../i18n/wording.ts';

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
    throw AppError.keyed('invalid_input', 'error.unstorableText');
  }
  return parse(schema, body);
}

/**
 * A form schema's own messages are catalogue keys (`form.…`): `fields` and the message get their
 * English (APIs), the error's `reasons` their keys (pages, in the reader's language). zod's own
 * messages (a value far too long) stay as zod wrote them.
 */
export function parse<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields: Record<string, string> = {};
  const reasons: Wording[] = [];
  for (const issue of result.error.issues) {
    const key = issue.path.join('.') || 'body';
    if (fields[key] !== undefined) continue;
    // A custom issue's `params` fill the key's placeholders (the line a group mapping is on).
    const params = issue.code === 'custom' ? (issue.params as WordingValues | undefined) : undefined;
    const said = issue.message.startsWith('form.') ? wording(issue.message, params) : undefined;
    fields[key] = said?.message ?? issue.message;
    // zod's own wording names no field, so the page names it.
    reasons.push(said ?? { message: `${key}: ${issue.message}` });
  }
  const summary = Object.entries(fields)
    .map(([k, m]) => `${k}: ${m}`)
    .join('; ');
  const error = new AppError('invalid_input', `The request is not valid (${summary}).`, { fields });
  error.reasons = reasons;
  throw error;
}
