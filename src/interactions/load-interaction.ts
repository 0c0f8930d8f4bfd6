import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { AppError } from '../errors/app-error.ts';
import { useUiLocales } from '../i18n/request-locale.ts';

export type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;

/**
 * The interaction behind `/interaction/:uid`, read through oidc-provider's interaction cookie. A
 * missing, expired or mismatching interaction is a clear 400 ("start again"), not a crash.
 */
export async function loadInteraction(ctx: Context, provider: Provider): Promise<InteractionDetails> {
  let details: InteractionDetails;
  try {
    details = await provider.interactionDetails(ctx.req, ctx.res);
  } catch {
    throw new AppError('interaction_expired');
  }
  if (details.uid !== ctx.params.uid) throw new AppError('interaction_expired');
  // The application's `ui_locales` wins over the browser's languages for the whole sign-in.
  useUiLocales(details.params.ui_locales);
  return details;
}

/** Finishes the interaction and sends the browser back to oidc-provider with a 303. */
export async function finishInteraction(
  ctx: Context,
  provider: Provider,
  result: Parameters<Provider['interactionResult']>[2],
  options: { mergeWithLastSubmission?: boolean } = {},
): Promise<void> {
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, {
    mergeWithLastSubmission: options.mergeWithLastSubmission ?? true,
  });
  ctx.status = 303;
  ctx.redirect(returnTo);
}
