import type { Context, Middleware } from 'koa';
import type { Database } from '../db/database.ts';
import { AdapterScope, runInScope } from './adapter-scope.ts';
import { flushWrites, type WriteGate } from './payload-flush.ts';

/**
 * A gate for one request (the token endpoint's rate limit). `settle` gets the gate's row after the
 * statement and throws to refuse the request; the writes were then not made.
 */
export interface RequestGate extends WriteGate {
  settle(row: Record<string, unknown> | undefined): void;
}

/**
 * Around oidc-provider's routes: every adapter write of one request reaches the database in one
 * statement, after the request produced its answer and before the answer leaves. A token request
 * that fails half-way (an exception, a lost race, a crash) leaves nothing behind: a refresh token
 * is never consumed without its replacement being stored. A failed request still applies its
 * removals (a replayed code revokes its grant even though the request itself is refused).
 *
 * `gateFor` may add a check to that statement which can stop all of it (the token endpoint's rate
 * limit is counted there, costing no round trip of its own); a refused request throws from `settle`
 * after the statement, and the answer oidc-provider prepared never leaves.
 */
export function adapterUnitOfWork(
  db: Database,
  refreshTokenReuseSeconds: number,
  gateFor: (ctx: Context) => RequestGate | undefined = () => undefined,
): Middleware {
  const flush = async (scope: AdapterScope, removalsOnly: boolean, gate: RequestGate | undefined) => {
    const result = await flushWrites(db, scope, {
      removalsOnly,
      reuseSeconds: refreshTokenReuseSeconds,
      gate,
    });
    gate?.settle(result.gateRow);
    return result.ok;
  };
  return async (ctx, next) => {
    const scope = new AdapterScope(true);
    const gate = gateFor(ctx);
    try {
      await runInScope(scope, next);
    } catch (error) {
      await flush(scope, true, gate).catch(() => undefined);
      throw error;
    }
    if (ctx.status >= 400) {
      await flush(scope, true, gate);
      return;
    }
    if (!(await flush(scope, false, gate))) {
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
