import type { Context } from 'koa';
import { findSignedIn, requireSignedIn } from '../../http/current-session.ts';
import type { AuthApiDeps } from './auth-api-deps.ts';
import { userJson } from './user-json.ts';

/** GET /api/auth/is-authenticated */
export function isAuthenticated(deps: AuthApiDeps) {
  return async (ctx: Context): Promise<void> => {
    ctx.body = { isAuthenticated: (await findSignedIn(ctx, deps)) !== undefined };
  };
}

/** GET /api/auth/remaining-timeout-seconds: how long the session has left (0 when signed out). */
export function remainingTimeoutSeconds(deps: AuthApiDeps) {
  return async (ctx: Context): Promise<void> => {
    const signedIn = await findSignedIn(ctx, deps);
    ctx.body = { remainingTimeoutSeconds: signedIn ? deps.sessions.remainingSeconds(signedIn.session) : 0 };
  };
}

/** GET /api/auth/current-user: 401 when nobody is signed in. */
export function currentUser(deps: AuthApiDeps) {
  return async (ctx: Context): Promise<void> => {
    const { user } = await requireSignedIn(ctx, deps);
    ctx.body = userJson(user);
  };
}
