import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { EXTERNAL_SESSION_RESULT } from '../../external-logins/external-session-store.ts';
import { actorOf } from '../../http/actor.ts';
import { ACR } from '../../oidc/acr.ts';
import { wantsTwoFactor } from '../../oidc/interaction-policy.ts';
import type { User } from '../../users/user.ts';
import type { InteractionDeps } from '../interaction-deps.ts';
import { finishInteraction, type InteractionDetails } from '../load-interaction.ts';
import { type PendingSecondFactor, savePendingSecondFactor } from './pending.ts';

/**
 * After the first factor (password, or an upstream provider): either the sign-in is complete, or a
 * second factor is due and the browser goes back to the interaction page to give it.
 */
export async function continueAfterFirstFactor(
  ctx: Context,
  deps: InteractionDeps,
  details: InteractionDetails,
  first: Omit<PendingSecondFactor, 'mode' | 'accountId'> & { user: User; bypassTwoFactor?: boolean },
): Promise<void> {
  const provider = deps.host.provider;
  const forced = wantsTwoFactor(details.params.acr_values);
  const requirement = first.bypassTwoFactor
    ? 'none'
    : await deps.twoFactor.requirement(first.user, { forced });
  if (requirement === 'none') {
    await deps.signInManager.signedIn(first.user, first.method, actorOf(ctx), first.providerAlias);
    await finishInteraction(
      ctx,
      provider,
      loginResult({ ...first, accountId: first.user.id }, first.amr, ACR.singleFactor),
      { mergeWithLastSubmission: false },
    );
    return;
  }
  await deps.signInManager.requiresVerification(first.user, actorOf(ctx));
  const { user: _user, bypassTwoFactor: _bypass, ...rest } = first;
  await savePendingSecondFactor(ctx, provider, { ...rest, accountId: first.user.id, mode: requirement });
  ctx.status = 303;
  ctx.redirect(`/interaction/${details.uid}`);
}

/** Both factors given: the session is established with acr 2. */
export async function finishWithSecondFactor(
  ctx: Context,
  provider: Provider,
  deps: InteractionDeps,
  pending: PendingSecondFactor,
  user: User,
): Promise<void> {
  await deps.signInManager.signedIn(user, pending.method, actorOf(ctx), pending.providerAlias);
  await finishInteraction(
    ctx,
    provider,
    loginResult(pending, [...new Set([...pending.amr, 'otp', 'mfa'])], ACR.multiFactor),
    { mergeWithLastSubmission: false },
  );
}

function loginResult(
  signIn: Pick<PendingSecondFactor, 'accountId' | 'remember' | 'externalSessionId'>,
  amr: string[],
  acr: string,
) {
  return {
    login: { accountId: signIn.accountId, amr, acr, remember: signIn.remember },
    ...(signIn.externalSessionId ? { [EXTERNAL_SESSION_RESULT]: signIn.externalSessionId } : {}),
  };
}
