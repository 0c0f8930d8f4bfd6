import type { Context } from 'koa';
import { AppError } from '../../errors/app-error.ts';
import type { AuthRequest } from '../../external-logins/auth-request-store.ts';
import type { ExternalProvider } from '../../external-logins/external-provider.ts';
import { recordUpstreamSession } from '../../external-logins/external-session-store.ts';
import { pauseAutoRedirect } from '../../external-logins/signed-out-marker.ts';
import type { CompletedRoundTrip } from '../../external-logins/upstream-round-trip.ts';
import { actorOf } from '../../http/actor.ts';
import { translated, type Wording } from '../../i18n/wording.ts';
import { causeOf } from '../../operations/logger.ts';
import { upstreamFactor } from '../../sign-in/factors.ts';
import type { InteractionDeps } from '../interaction-deps.ts';
import { type InteractionDetails, loadInteraction } from '../load-interaction.ts';
import { renderLogin } from '../login.ts';
import { continueSignIn } from '../second-factor/complete-sign-in.ts';
import { askToConfirmLink } from './confirm-link.ts';

/**
 * GET /interaction/:uid/external/:alias/callback — the upstream's answer, forwarded here by
 * `/external/:alias/callback` so that the interaction cookie comes along. Errors and refusals end
 * on a page of their own (no session, no redirect) and pause auto-redirect, so nothing can loop.
 */
export function completeExternalSignIn(deps: InteractionDeps) {
  return async (ctx: Context): Promise<void> => {
    const details = await loadInteraction(ctx, deps.host.provider);
    const query = new URLSearchParams(ctx.querystring);
    const request = await takeRequest(ctx, deps, details, query);
    const provider = await deps.external.registry.require(request.providerAlias);
    if (query.has('error')) {
      await showCancelled(ctx, deps, details, provider);
      return;
    }
    const completed = await exchange(ctx, deps, provider, request, query);
    await signInAs(ctx, deps, details, provider, completed);
  };
}

/** The round trip this callback answers: its state must be this interaction's, for this provider. */
async function takeRequest(
  ctx: Context,
  deps: InteractionDeps,
  details: InteractionDetails,
  query: URLSearchParams,
): Promise<AuthRequest> {
  const request = await deps.external.roundTrip.take(query.get('state') ?? '');
  if (!request || request.interactionUid !== details.uid || request.providerAlias !== ctx.params.alias) {
    throw new AppError('interaction_expired');
  }
  return request;
}

/** Cancelled or failed upstream: back to the choices, without auto-redirecting again. */
async function showCancelled(
  ctx: Context,
  deps: InteractionDeps,
  details: InteractionDetails,
  provider: ExternalProvider,
): Promise<void> {
  pauseAutoRedirect(ctx);
  ctx.status = 400;
  await renderLogin(ctx, deps, details, {
    error: deps.views.translator()('external.cancelled', { provider: provider.displayName }),
  });
}

/** The account the identity resolves to: its owner confirms a link, or the sign-in goes on. */
async function signInAs(
  ctx: Context,
  deps: InteractionDeps,
  details: InteractionDetails,
  provider: ExternalProvider,
  completed: CompletedRoundTrip,
): Promise<void> {
  const { identity } = completed;
  const result = await deps.external.service.signIn(
    provider,
    identity,
    actorOf(ctx),
    completed.tokens.accessToken,
  );
  if (!result.ok && result.reason !== 'confirm_link') {
    renderRefusal(ctx, deps, details, provider, result);
    return;
  }
  const sessions = deps.external.sessions;
  const externalSessionId = await recordUpstreamSession(sessions, provider, result.user.id, completed);
  if (!result.ok) {
    const accountId = result.user.id;
    await askToConfirmLink(ctx, deps, details, {
      accountId,
      providerAlias: provider.alias,
      identity,
      externalSessionId,
    });
    return;
  }
  const refusal = await continueSignIn(ctx, deps, details, {
    user: result.user,
    factors: [upstreamFactor(provider, identity.claims)],
    remember: false,
    upstream: { provider, identity },
    externalSessionId,
  });
  if (refusal) renderRefusal(ctx, deps, details, provider, refusal);
}

async function exchange(
  ctx: Context,
  deps: InteractionDeps,
  provider: ExternalProvider,
  request: AuthRequest,
  query: URLSearchParams,
): Promise<CompletedRoundTrip> {
  try {
    return await deps.external.roundTrip.complete(provider, request, query);
  } catch (err) {
    ctx.state.log?.warn(
      { err: String(err), cause: causeOf(err), alias: provider.alias },
      'upstream code exchange failed',
    );
    pauseAutoRedirect(ctx);
    throw AppError.keyed('external_login_failed', 'external.failed', { provider: provider.displayName });
  }
}

/** A refusal (not linked, unverified, a handler's reason): a page that says why, and no session. */
function renderRefusal(
  ctx: Context,
  deps: InteractionDeps,
  details: InteractionDetails,
  provider: ExternalProvider,
  refusal: Wording,
): void {
  pauseAutoRedirect(ctx);
  ctx.status = 403;
  ctx.type = 'html';
  ctx.body = deps.views.render('interactions/external-refused.njk', {
    provider: provider.displayName,
    message: translated(deps.views.translator(), refusal),
    uid: details.uid,
    csrfToken: ctx.state.csrfToken,
  });
}
