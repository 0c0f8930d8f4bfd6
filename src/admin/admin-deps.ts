import type { Middleware } from 'koa';
import type { Gatehouse } from '../container.ts';

/** The console calls the same services as the admin API and the CLI. */
export type AdminDeps = Gatehouse;

export interface AdminGuards {
  body: Middleware;
  csrf: Middleware;
}
