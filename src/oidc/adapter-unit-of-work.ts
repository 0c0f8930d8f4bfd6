import type { Middleware } from 'koa';
import type { Database } from '../db/database.ts';
import { AdapterScope, runInScope } from './adapter-scope.ts';
import { flushWrites } from './payload-flush.ts';

/**
 * Around oidc-provider's routes: every adapter write of one request reaches the database in one
 * statement, after the request produced its answer and before the answer leaves. A token request
 * that fails half-way (an exception, a lost race, a crash) leaves nothing behind: a refresh token
 * is never consumed without its replacement being stored. A failed request still applies its
 * removals (a replayed code revokes its grant even though the request itself is refused).
 */
export function adapterUnitOfWork(db: Database, refreshTokenReuseSeconds: number): Middleware {
  const flush = (scope: AdapterScope, removalsOnly: boolean) =>
    flushWrites(db, scope, { removalsOnly, reuseSeconds: refreshTokenReuseSeconds });
  return async (ctx, next) => {
    const scope = new AdapterScope(true);
    try {
      await runInScope(scope, next);
    } catch (error) {
      await flush(scope, true).catch(() => undefined);
      throw error;
    }
    if (ctx.status >= 400) {
      await flush(scope, true);
      return;
    }
    if (!(await flush(scope, false))) {
      // Another request consumed the same code or refresh token first; it alone gets tokens.
      ctx.status = 400;
      ctx.set('cache-control', 'no-store');
      ctx.body = { error: 'invalid_grant', error_description: 'grant request is invalid' };
    }
  };
}

/** Remembers adapter reads for one request (our interaction routes ask for the same rows repeatedly). */
export function adapterReadScope(): Middleware {
  return (_ctx, next) => runInScope(new AdapterScope(false), next);
}
