import type { Context } from 'koa';
import { AppError } from '../../errors/app-error.ts';
import type { InteractionDeps } from '../interaction-deps.ts';
import { linkAfterMailboxProof, loaded, renderConfirmLink, waitingLink } from './confirm-link.ts';

/**
 * GET /interaction/:uid/confirm-link/email?token=… — the link mailed with the code. Opened in the
 * browser that started the sign-in (its interaction cookie), it proves the mailbox as the code does
 * and the same sign-in goes on. Anywhere else it signs nobody in and leaves the link unused, so a
 * forwarded or scanned mail cannot finish someone else's sign-in in another browser.
 */
export function openConfirmLinkEmail(deps: InteractionDeps) {
  return async (ctx: Context): Promise<void> => {
    const waiting = await waitingLink(ctx, deps).catch((error: unknown) => {
      if (error instanceof AppError && error.code === 'interaction_expired') return undefined;
      throw error;
    });
    if (!waiting) {
      ctx.status = 400;
      ctx.type = 'html';
      ctx.set('Cache-Control', 'no-store');
      ctx.body = deps.views.render('interactions/confirm-link-elsewhere.njk', {});
      return;
    }
    const { details, pending } = waiting;
    const { user } = await loaded(deps, pending);
    const token = typeof ctx.query.token === 'string' ? ctx.query.token.slice(0, 256) : '';
    if (!token || !(await deps.twoFactor.proveMailboxByLink(user, details.uid, token))) {
      ctx.status = 400;
      await renderConfirmLink(ctx, deps, details, pending, { linkInvalid: true });
      return;
    }
    await linkAfterMailboxProof(ctx, deps, details, pending);
  };
}
