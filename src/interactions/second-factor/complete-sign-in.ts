import type { Context } from 'koa';
import { EXTERNAL_SESSION_RESULT } from '../../external-logins/external-session-store.ts';
import { actorOf } from '../../http/actor.ts';
import { wantsTwoFactor } from '../../oidc/interaction-policy.ts';
import type { CompletedFactor } from '../../sign-in/factors.ts';
import type { PendingLink, SignInContext, SignInOutcome } from '../../sign-in/sign-in-pipeline.ts';
import type { User } from '../../users/user.ts';
import { applicationOf, renderApplicationRefused } from '../application-refused.ts';
import { breakGlassOf } from '../break-glass.ts';
import type { InteractionDeps } from '../interaction-deps.ts';
import { finishInteraction, type InteractionDetails } from '../load-interaction.ts';
import { savePendingSecondFactor } from './pending.ts';

export interface InteractionSignIn {
  user: User;
  factors: CompletedFactor[];
  remember: boolean;
  externalSessionId?: number | undefined;
  upstream?: SignInContext['upstream'];
  attempt?: SignInContext['attempt'];
  link?: PendingLink | undefined;
}

/**
 * Hands what this interaction has completed to the sign-in pipeline and carries out its answer:
 * back to oidc-provider with the session's amr/acr, or to the second-factor step. The application
 * turning the user away has a page of its own; any other refusal is returned for the caller to show.
 */
export async function continueSignIn(
  ctx: Context,
  deps: InteractionDeps,
  details: InteractionDetails,
  signIn: InteractionSignIn,
): Promise<Extract<SignInOutcome, { status: 'refused' }> | undefined> {
  const outcome = await deps.signIn.complete(signIn.user, signIn.factors, {
    actor: actorOf(ctx),
    twoFactorDemanded: wantsTwoFactor(details.params.acr_values),
    upstream: signIn.upstream,
    attempt: signIn.attempt,
    link: signIn.link,
    application: await applicationOf(deps, details),
    breakGlass: breakGlassOf(ctx, deps),
  });
  if (outcome.status === 'refused' && outcome.reason === 'application_denied') {
    await renderApplicationRefused(ctx, deps, details);
    return undefined;
  }
  if (outcome.status === 'refused') return outcome;
  if (outcome.status === 'second_factor') {
    await savePendingSecondFactor(ctx, deps.host.provider, {
      accountId: outcome.user.id,
      factors: outcome.factors,
      remember: signIn.remember,
      mode: outcome.mode,
      externalSessionId: signIn.externalSessionId,
      link: signIn.link,
    });
    ctx.status = 303;
    ctx.redirect(`/interaction/${details.uid}`);
    return undefined;
  }
  if (breakGlassOf(ctx, deps)) {
    ctx.state.log?.warn({ userId: outcome.user.id }, 'BREAK-GLASS sign-in past DenyLocalLogin completed');
  }
  const login = { accountId: outcome.user.id, amr: outcome.amr, acr: outcome.acr, remember: signIn.remember };
  await finishInteraction(
    ctx,
    deps.host.provider,
    {
      login,
      ...(signIn.externalSessionId ? { [EXTERNAL_SESSION_RESULT]: signIn.externalSessionId } : {}),
    },
    { mergeWithLastSubmission: false },
  );
  return undefined;
}
