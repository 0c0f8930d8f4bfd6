import type { Context } from 'koa';
import type { InteractionDeps } from './interaction-deps.ts';
import { finishInteraction, loadInteraction } from './load-interaction.ts';

/** POST /interaction/:uid/abort — "cancel": the client gets access_denied. */
export function abortInteraction(deps: InteractionDeps) {
  return async (ctx: Context): Promise<void> => {
    const provider = deps.host.provider;
    await loadInteraction(ctx, provider);
    await finishInteraction(
      ctx,
      provider,
      { error: 'access_denied', error_description: 'The user cancelled the sign-in.' },
      { mergeWithLastSubmission: false },
    );
  };
}
