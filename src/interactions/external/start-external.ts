import type { Context } from 'koa';
import { AppError } from '../../errors/app-error.ts';
import type { InteractionDeps } from '../interaction-deps.ts';
import { type InteractionDetails, loadInteraction } from '../load-interaction.ts';

/** POST /interaction/:uid/external/:alias — the provider's button on the sign-in page. */
export function startExternalSignIn(deps: InteractionDeps) {
  return async (ctx: Context): Promise<void> => {
    const details = await loadInteraction(ctx, deps.host.provider);
    if (details.prompt.name !== 'login')
      throw AppError.keyed('invalid_input', 'interaction.notWaitingForMethod');
    await redirectToUpstream(ctx, deps, details, ctx.params.alias ?? '');
  };
}

/** Sends the browser to the upstream provider for this interaction (button, auto-redirect or idp_hint). */
export async function redirectToUpstream(
  ctx: Context,
  deps: InteractionDeps,
  details: InteractionDetails,
  alias: string,
): Promise<void> {
  const provider = await deps.external.registry.require(alias);
  const loginHint = typeof details.params.login_hint === 'string' ? details.params.login_hint : undefined;
  const url = await deps.external.roundTrip.begin(provider, {
    providerAlias: provider.alias,
    purpose: 'login',
    interactionUid: details.uid,
    loginHint,
    forceLogin: asksForFreshLogin(details),
  });
  ctx.status = 303;
  ctx.redirect(url.href);
}

/**
 * A client that demands a fresh sign-in (`prompt=login`, or a `max_age` the session is past) must
 * not be satisfied by the upstream's still-open session: the demand travels upstream as
 * `prompt=login`.
 */
function asksForFreshLogin(details: InteractionDetails): boolean {
  const prompt = typeof details.params.prompt === 'string' ? details.params.prompt.split(' ') : [];
  return prompt.includes('login') || details.prompt.reasons.includes('max_age');
}
