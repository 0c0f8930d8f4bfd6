import type { Context } from 'koa';
import { z } from 'zod';
import { actorOf } from '../http/actor.ts';
import { parseBody } from '../http/validation.ts';
import type { AccountDeps } from './account-deps.ts';
import { renderPage } from './page.ts';

const requestForm = z.object({ email: z.string().trim().max(320).default('') });

/** GET /reset-password (no token): "forgot your password?", asks for the email address. */
export function showResetRequest(deps: AccountDeps) {
  return async (ctx: Context): Promise<void> => {
    renderPage(ctx, deps, 'reset-request.njk');
  };
}

/**
 * POST /reset-password: the same page whether or not the address belongs to anyone; the service
 * sends the email in the background so the timing does not tell either.
 */
export function requestReset(deps: AccountDeps) {
  return async (ctx: Context): Promise<void> => {
    const { email } = parseBody(ctx, requestForm);
    if (!email) {
      return renderPage(
        ctx,
        deps,
        'reset-request.njk',
        { problems: [deps.views.translator()('reset.request.enterEmail')] },
        400,
      );
    }
    deps.passwordReset.request(email, actorOf(ctx));
    renderPage(ctx, deps, 'reset-sent.njk', { email });
  };
}
