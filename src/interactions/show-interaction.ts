import type { Context } from 'koa';
import { renderConsent } from './consent.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import { loadInteraction } from './load-interaction.ts';
import { renderLogin } from './login.ts';

/** GET /interaction/:uid — shows the step oidc-provider is waiting for. */
export function showInteraction(deps: InteractionDeps) {
  return async (ctx: Context): Promise<void> => {
    const provider = deps.host.provider;
    const details = await loadInteraction(ctx, provider);
    ctx.set('Cache-Control', 'no-store');
    if (details.prompt.name === 'login') {
      await renderLogin(ctx, deps, details);
      return;
    }
    if (details.prompt.name === 'consent') {
      await renderConsent(ctx, deps, details);
      return;
    }
    ctx.throw(400, `This sign-in step (${details.prompt.name}) is not supported.`);
  };
}
