import type { Context, Middleware } from 'koa';
import { markSignedOut } from '../../external-logins/signed-out-marker.ts';
import { actorOf } from '../../http/actor.ts';
import type { ProviderHost } from '../../oidc/provider-host.ts';
import type { SessionService } from '../../oidc/session-service.ts';

/**
 * Wraps oidc-provider's logout confirmation (POST /session/end/confirm). When the session really
 * ended — not when the user chose to stay signed in — `UserLogoutSuccess` is published with the
 * application's post-logout URL, and a `signOutRedirectUrl` set by a handler (the upstream's
 * end-session endpoint, by default) replaces oidc-provider's redirect.
 */
export function endSessionHook(deps: { host: ProviderHost; sessions: SessionService }): Middleware {
  return async (ctx, next) => {
    if (ctx.method !== 'POST' || ctx.path !== '/session/end/confirm') return next();
    const before = await deps.host.provider.Session.get(ctx);
    const { uid, accountId } = before;
    await next();
    if (!accountId || !isRedirect(ctx) || (await deps.host.provider.Session.findByUid(uid))) return;
    markSignedOut(ctx);
    const notification = await deps.sessions.announceEnded(accountId, uid, {
      reason: 'user',
      actor: actorOf(ctx, accountId),
      returnTo: ctx.response.get('Location') || undefined,
    });
    if (notification.signOutRedirectUrl) {
      ctx.status = 303;
      ctx.redirect(notification.signOutRedirectUrl);
    }
  };
}

function isRedirect(ctx: Context): boolean {
  return ctx.status === 303 || ctx.status === 302;
}
