import type { Context } from 'koa';
import type { LogoutContinuations } from '../../external-logins/logout-continuation-store.ts';

/**
 * GET /logout/upstream-callback — the upstream signed the browser out and sent it back; it goes on
 * to where the application asked (its post_logout_redirect_uri with its state), once.
 */
export function upstreamLogoutCallback(deps: { continuations: LogoutContinuations; issuer: string }) {
  return async (ctx: Context): Promise<void> => {
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const returnTo = state ? await deps.continuations.take(state) : undefined;
    ctx.status = 303;
    ctx.redirect(returnTo ?? `${deps.issuer}/session/end/success`);
  };
}
