import type { Context } from 'koa';
import { markSignedOut } from '../../external-logins/signed-out-marker.ts';
import { actorOf } from '../../http/actor.ts';
import type { AuthApiDeps } from './auth-api-deps.ts';

/**
 * POST /api/auth/logout: ends the Gatehouse session (applications are told over the back channel)
 * and answers where the browser should go next to finish signing out upstream, as decided by the
 * `UserLogoutSuccess` handlers.
 */
export function logout(deps: AuthApiDeps) {
  return async (ctx: Context): Promise<void> => {
    const session = await deps.sessions.current(ctx);
    if (!session?.accountId) {
      ctx.body = { signOutRedirectUrl: null };
      return;
    }
    const notification = await deps.sessions.end(ctx, session, {
      reason: 'user',
      actor: actorOf(ctx, session.accountId),
    });
    markSignedOut(ctx);
    ctx.body = { signOutRedirectUrl: notification.signOutRedirectUrl ?? null };
  };
}
