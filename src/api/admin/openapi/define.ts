import type { Context } from 'koa';
import type { z } from 'zod';
import { parse, parseBody } from '../../../http/validation.ts';

export type HttpMethod = 'get' | 'post' | 'patch' | 'delete';

export interface DocumentedResponse {
  description: string;
  /** The JSON body; none for 204. */
  schema?: z.ZodType;
}

/**
 * One admin API operation: its HTTP shape, its schemas (declared once, in zod) and its handler.
 * The router mounts these and the OpenAPI document is generated from the same list, so a route
 * cannot exist without being documented, nor be documented with other schemas than it checks.
 */
export interface AdminRoute {
  method: HttpMethod;
  /** Koa style, `/users/:id`. */
  path: string;
  summary: string;
  tag: string;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Statuses other than the error answers every route can give (400, 401, 403). */
  responses: Record<number, DocumentedResponse>;
  handle(ctx: Context): Promise<void>;
}

interface RouteSpec<Q extends z.ZodType | undefined, B extends z.ZodType | undefined> {
  method: HttpMethod;
  path: string;
  summary: string;
  tag: string;
  query?: Q;
  body?: B;
  responses: Record<number, DocumentedResponse>;
  handler(
    ctx: Context,
    input: {
      query: Q extends z.ZodType ? z.infer<Q> : undefined;
      body: B extends z.ZodType ? z.infer<B> : undefined;
      params: Record<string, string>;
    },
  ): Promise<void>;
}

/** Declares a route whose query and body are validated against its own schemas before it runs. */
export function route<
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(spec: RouteSpec<Q, B>): AdminRoute {
  return {
    method: spec.method,
    path: spec.path,
    summary: spec.summary,
    tag: spec.tag,
    ...(spec.query ? { query: spec.query } : {}),
    ...(spec.body ? { body: spec.body } : {}),
    responses: spec.responses,
    async handle(ctx) {
      // `?group=&status=` (a filter form left blank) means no filter.
      const given = Object.fromEntries(Object.entries(ctx.query).filter(([, v]) => v !== ''));
      const query = spec.query ? parse(spec.query, given) : undefined;
      const body = spec.body ? parseBody(ctx, spec.body) : undefined;
      const params = Object.fromEntries(Object.entries(ctx.params ?? {}).map(([k, v]) => [k, String(v)]));
      await spec.handler(ctx, { query, body, params } as Parameters<RouteSpec<Q, B>['handler']>[1]);
    },
  };
}
