import type { Context } from 'koa';
import type { z } from 'zod';
import { AppError } from './app-error.ts';

/** Validates a request body (form or JSON); a bad body is a 400 naming each wrong field. */
export function parseBody<S extends z.ZodType>(ctx: Context, schema: S): z.infer<S> {
  return parse(schema, ctx.request.body ?? {});
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
