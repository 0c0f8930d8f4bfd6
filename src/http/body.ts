import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware } from 'koa';
import { containsUnstorableText } from '../db/unstorable-text.ts';
import { AppError } from '../errors/app-error.ts';

/** Deeper than any form or JSON call of Gatehouse needs; checked before anything walks the body. */
export const MAX_BODY_DEPTH = 32;

const parser = bodyParser({ enableTypes: ['form', 'json'], formLimit: '64kb', jsonLimit: '64kb' });
const parseOnly = (ctx: Context) => parser(ctx, async () => {});

/**
 * The body guard of every route that reads a form or JSON: parses it (64 kB at most), then refuses,
 * with a 400, a body nested deeper than MAX_BODY_DEPTH or holding text PostgreSQL cannot store
 * (U+0000, lone surrogates). A body parsed ahead (for a rate limit keyed by one of its fields) is
 * not parsed twice, and an error found then is reported here, by the route's own error handler.
 */
export function requestBody(): Middleware {
  return async (ctx, next) => {
    if (ctx.state.bodyError) throw ctx.state.bodyError;
    await parseOnly(ctx);
    refuseUnwalkable(ctx.request.body);
    await next();
  };
}

/** Parses the body ahead of the route; answers it, or undefined when it is missing or bad. */
export async function parseBodyAhead(ctx: Context): Promise<Record<string, unknown> | undefined> {
  try {
    await parseOnly(ctx);
    refuseUnwalkable(ctx.request.body);
  } catch (error) {
    ctx.state.bodyError = error;
    return undefined;
  }
  const body: unknown = ctx.request.body;
  return body && typeof body === 'object' ? (body as Record<string, unknown>) : undefined;
}

function refuseUnwalkable(body: unknown): void {
  if (depthOf(body) > MAX_BODY_DEPTH) {
    throw AppError.keyed('invalid_input', 'error.tooDeep', { max: MAX_BODY_DEPTH });
  }
  if (containsUnstorableText(body)) {
    throw AppError.keyed('invalid_input', 'error.unstorableText');
  }
}

/** How deeply arrays and objects nest in `value`, measured without recursion. */
export function depthOf(value: unknown): number {
  let deepest = 0;
  const pending: Array<[unknown, number]> = [[value, 0]];
  while (pending.length > 0) {
    const [item, depth] = pending.pop() as [unknown, number];
    if (!item || typeof item !== 'object') continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > MAX_BODY_DEPTH) return deepest;
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  return deepest;
}
