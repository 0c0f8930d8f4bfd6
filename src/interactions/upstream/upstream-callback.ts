import type { Context } from 'koa';
import { sendToReauthentication } from '../../account/reauthenticate.ts';
import type { Gatehouse } from '../../container.ts';
import { AppError } from '../../errors/app-error.ts';
import type { AuthRequest } from '../../external-logins/auth-request-store.ts';
import type { ExternalProvider } from '../../external-logins/external-provider.ts';
import { recordUpstreamSession } from '../../external-logins/external-session-store.ts';
import type { CompletedRoundTrip } from '../../external-logins/upstream-round-trip.ts';
import { actorOf } from '../../http/actor.ts';
import { startBrowserSession } from '../../http/browser-session.ts';
import { isRecentSignIn } from '../../http/current-session.ts';
import { inviteCookie } from '../../http/invite-cookie.ts';
import type { CompletedFactor } from '../../sign-in/factors.ts';
import { upstreamFactor } from '../../sign-in/factors.ts';

type CallbackDeps = Pick<
  Gatehouse,
  'external' | 'sessions' | 'userManager' | 'views' | 'signIn' | 'invitations' | 'settings'
>;

/**
 * GET /external/:alias/callback — where every upstream sends the browser back. A sign-in goes on
 * inside its interaction (whose cookie is scoped to /interaction/…); linking and invitations
 * complete here.
 */
export function upstreamCallback(deps: CallbackDeps) {
  return async (ctx: Context): Promise<void> => {
    const query = new URLSearchParams(ctx.querystring);
    const request = await deps.external.roundTrip.peek(query.get('state') ?? '');
    if (!request || request.providerAlias !== ctx.params.alias) {
      throw AppError.keyed('interaction_expired', 'external.roundTripExpired');
    }
    if (request.purpose === 'login') {
      ctx.status = 303;
      ctx.redirect(
        `/interaction/${encodeURIComponent(request.interactionUid ?? '')}/external/${encodeURIComponent(request.providerAlias)}/callback?${ctx.querystring}`,
      );
      return;
    }
    await deps.external.roundTrip.take(request.state);
    const provider = await deps.external.registry.require(request.providerAlias);
    if (query.has('error')) {
      throw AppError.keyed('external_login_failed', 'external.notCompleted', {
        provider: provider.displayName,
      });
    }
    const completed = await deps.external.roundTrip.complete(provider, request, query).catch(() => {
      throw AppError.keyed('external_login_failed', 'external.failed', { provider: provider.displayName });
    });
    if (request.purpose === 'link') await completeLink(ctx, deps, provider, request, completed);
    else await completeInvitation(ctx, deps, provider, request, completed);
  };
}

/**
 * The signed-in user attaches another provider (account page). The link is the sign-in pipeline's
 * `link` step, as for a link confirmed at sign-in: the account's state and the `ExternalLogin`
 * handlers are asked first. No second factor is asked of a session whose sign-in is recent; an
 * older one signs in again first.
 */
async function completeLink(
  ctx: Context,
  deps: CallbackDeps,
  provider: ExternalProvider,
  request: AuthRequest,
  done: CompletedRoundTrip,
) {
  const session = await deps.sessions.current(ctx);
  const user = session?.accountId ? await deps.userManager.findById(session.accountId) : undefined;
  if (!session || !user || user.id !== request.userId)
    throw AppError.keyed('unauthenticated', 'external.signInAgainToLink');
  if (!provider.options.allowManualLinking)
    throw AppError.keyed('invalid_input', 'external.linkingOff', { provider: provider.displayName });
  if (!isRecentSignIn(session, deps.settings.privilegedSessionMaxAgeSeconds))
    return sendToReauthentication(ctx, '/account/linked-logins');
  const factors: CompletedFactor[] = [{ method: 'fed', providerAlias: provider.alias }];
  const outcome = await deps.signIn.complete(user, factors, {
    actor: actorOf(ctx, user.id),
    upstream: { provider, identity: done.identity },
    link: { providerAlias: provider.alias, identity: done.identity },
    // The session's sign-in is recent (checked above, as when the link was started).
    withinRecentSession: true,
  });
  if (outcome.status === 'second_factor') return sendToReauthentication(ctx, '/account/linked-logins');
  if (outcome.status === 'refused') throw AppError.worded('forbidden', outcome);
  ctx.type = 'html';
  ctx.body = deps.views.render('external/linked.njk', { provider: provider.displayName });
}

async function completeInvitation(
  ctx: Context,
  deps: CallbackDeps,
  provider: ExternalProvider,
  request: AuthRequest,
  done: CompletedRoundTrip,
) {
  const cookie = inviteCookie(deps.settings.issuer.startsWith('https://'));
  const token = request.inviteToken ?? '';
  const invited = await deps.invitations.verify(token);
  const outcome = await deps.signIn.complete(invited, [upstreamFactor(provider, done.identity.claims)], {
    actor: actorOf(ctx),
    upstream: { provider, identity: done.identity },
    // The round trip's state names the invitation; this browser's cookie must name the same one.
    invitation: { token, browserToken: cookie.get(ctx) },
  });
  if (outcome.status === 'refused') throw AppError.worded('forbidden', outcome);
  // The partial sign-in of the invitee ends here, as it does when a password is chosen.
  cookie.clear(ctx);
  if (outcome.status === 'complete') {
    const session = await startBrowserSession(ctx, deps.sessions, outcome, false);
    const recordId = await recordUpstreamSession(deps.external.sessions, provider, outcome.user.id, done);
    await deps.external.sessions.bind(recordId, session.uid);
  }
  ctx.type = 'html';
  ctx.body = deps.views.render('external/invitation-accepted.njk', {
    provider: provider.displayName,
    email: outcome.user.email,
    signedIn: outcome.status === 'complete',
  });
}
