import type { Context } from 'koa';
import { AppError } from '../errors/app-error.ts';
import { pauseAutoRedirect, SIGNED_OUT_COOKIE } from '../external-logins/signed-out-marker.ts';
import { pageMessage } from '../i18n/page-message.ts';
import { TWO_FACTOR_STEP_UP } from '../oidc/interaction-policy.ts';
import { factorsOfSession } from '../sign-in/factors.ts';
import { refuseReusedSession } from './application-refused.ts';
import { breakGlassOf } from './break-glass.ts';
import { renderConsent } from './consent.ts';
import { pendingLink, renderConfirmLink } from './external/confirm-link.ts';
import { redirectToUpstream } from './external/start-external.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import type { InteractionDetails } from './load-interaction.ts';
import { loadInteraction } from './load-interaction.ts';
import { renderLogin } from './login.ts';
import {
  type PendingSecondFactor,
  pendingSecondFactor,
  savePendingSecondFactor,
} from './second-factor/pending.ts';
import { renderSecondFactor } from './second-factor/two-factor-step.ts';

/** GET /interaction/:uid — shows the step oidc-provider is waiting for. */
export function showInteraction(deps: InteractionDeps) {
  return async (ctx: Context): Promise<void> => {
    const provider = deps.host.provider;
    const details = await loadInteraction(ctx, provider);
    ctx.set('Cache-Control', 'no-store');
    if (details.prompt.name === 'login') {
      if (await refuseReusedSession(ctx, deps, details)) return;
      const link = pendingLink(details);
      if (link) {
        await renderConfirmLink(ctx, deps, details, link);
        return;
      }
      const pending = pendingSecondFactor(details) ?? (await stepUpOf(deps, details));
      if (pending) {
        if (!pendingSecondFactor(details)) await savePendingSecondFactor(ctx, provider, pending);
        await renderSecondFactor(ctx, deps, details, pending);
        return;
      }
      if (await goUpstreamAutomatically(ctx, deps, details)) return;
      await renderLogin(ctx, deps, details);
      return;
    }
    if (details.prompt.name === 'consent') {
      await renderConsent(ctx, deps, details);
      return;
    }
    throw AppError.keyed('invalid_input', 'interaction.stepUnsupported', { step: details.prompt.name });
  };
}

/**
 * A signed-in user whose client asks for two factors (acr_values=2) only gives the second one:
 * the first is already in the session.
 */
async function stepUpOf(
  deps: InteractionDeps,
  details: InteractionDetails,
): Promise<PendingSecondFactor | undefined> {
  const accountId = details.session?.accountId;
  if (!accountId || !details.prompt.reasons.includes(TWO_FACTOR_STEP_UP)) return undefined;
  const user = await deps.twoFactor.userById(accountId);
  if (!user) return undefined;
  const requirement = await deps.twoFactor.requirement(user, { forced: true });
  if (requirement === 'none') return undefined;
  // The factors the session was made with (an upstream's alias from its session record), so that
  // amr, acr and the success notification say how the user really signed in.
  const uid = details.session?.uid;
  const upstream = uid ? await deps.external.sessions.forSession(uid) : undefined;
  const factors = factorsOfSession(details.session?.amr, upstream?.providerAlias);
  return { accountId, factors, remember: true, mode: requirement };
}

/**
 * Redirects to the provider chosen for this sign-in, if any. An unreachable one is an upstream
 * error like any other: the sign-in page, saying so, instead of an error page with no way on.
 */
async function goUpstreamAutomatically(
  ctx: Context,
  deps: InteractionDeps,
  details: InteractionDetails,
): Promise<boolean> {
  const alias = await automaticUpstream(ctx, deps, details);
  if (!alias) return false;
  try {
    await redirectToUpstream(ctx, deps, details, alias);
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'upstream_unavailable') throw error;
    pauseAutoRedirect(ctx);
    await renderLogin(ctx, deps, details, { error: pageMessage(deps.views.translator(), error) });
  }
  return true;
}

/**
 * The provider to go to without showing the sign-in page: the one the client names with
 * `idp_hint` (or Keycloak's `kc_idp_hint`), else the first with `autoRedirect` — but not right
 * after a sign-out (the upstream would sign the user straight back in) or an upstream error or
 * refusal, not on an account switch, and not when the client's hint names something else.
 */
async function automaticUpstream(
  ctx: Context,
  deps: InteractionDeps,
  details: InteractionDetails,
): Promise<string | undefined> {
  // Before the hint: an application that always sends one would otherwise sign the user straight
  // back in after a sign-out, or send them round again after an upstream error.
  if (ctx.cookies.get(SIGNED_OUT_COOKIE) || breakGlassOf(ctx, deps)) return undefined;
  const providers = await deps.external.registry.list();
  const hint = details.params.idp_hint ?? details.params.kc_idp_hint;
  if (typeof hint === 'string' && hint) return providers.some((p) => p.alias === hint) ? hint : undefined;
  if (await isAccountSwitch(deps, details)) return undefined;
  return providers.find((p) => p.options.autoRedirect)?.alias;
}

/**
 * `prompt=login` with a `login_hint` naming someone other than the signed-in user: an account
 * switch, which the upstream's own session would turn into a sign-in of the same person again.
 */
async function isAccountSwitch(deps: InteractionDeps, details: InteractionDetails): Promise<boolean> {
  const prompts = String(details.params.prompt ?? '').split(' ');
  const hint = details.params.login_hint;
  const accountId = details.session?.accountId;
  if (!prompts.includes('login') || typeof hint !== 'string' || !accountId) return false;
  const user = await deps.twoFactor.userById(accountId);
  return user !== undefined && user.email.toLowerCase() !== hint.trim().toLowerCase();
}
