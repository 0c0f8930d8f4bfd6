import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { CompletedFactor } from '../../sign-in/factors.ts';
import type { PendingLink } from '../../sign-in/sign-in-pipeline.ts';
import type { InteractionDetails } from '../load-interaction.ts';

/**
 * A sign-in whose first factor is done and whose second is outstanding. Kept in the interaction's
 * result on the server (oidc-provider stores it in the database), never in the browser.
 */
export interface PendingSecondFactor {
  accountId: string;
  /** What this sign-in has completed so far; the sign-in pipeline derives amr/acr from it. */
  factors: CompletedFactor[];
  remember: boolean;
  /** `verify` a factor the user has, or `enrol` one first (mandatory or asked for by the client). */
  mode: 'verify' | 'enrol';
  /** The upstream session record to bind to the Gatehouse session once it exists. */
  externalSessionId?: number | undefined;
  /** An upstream identity the pipeline links once the second factor is given (confirm-link). */
  link?: PendingLink | undefined;
  /**
   * Set once the second factor is done but a page stands between it and the application (new
   * recovery codes to save, or how many are left); only "continue" remains. `factors` then
   * includes the second factor.
   */
  satisfied?: boolean;
}

const KEY = 'gatehouseSecondFactor';

export function pendingSecondFactor(details: InteractionDetails): PendingSecondFactor | undefined {
  const pending = (details.result as Record<string, unknown> | undefined)?.[KEY] as
    | PendingSecondFactor
    | undefined;
  return pending?.accountId && Array.isArray(pending.factors) ? pending : undefined;
}

export async function savePendingSecondFactor(
  ctx: Context,
  provider: Provider,
  pending: PendingSecondFactor,
): Promise<void> {
  await provider.interactionResult(ctx.req, ctx.res, { [KEY]: pending }, { mergeWithLastSubmission: false });
}
