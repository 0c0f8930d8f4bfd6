import Router from '@koa/router';
import type { Context } from 'koa';
import { formOrJsonOnly } from '../http/validation.ts';
import type { AccountDeps, FormGuards } from './account-deps.ts';
import { showAccount } from './account-page.ts';
import { changePassword, showChangePassword } from './change-password.ts';
import { acceptInvite, showInvite } from './invite.ts';
import { completeReset, showResetForm } from './reset-complete.ts';
import { requestReset, showResetRequest } from './reset-request.ts';

/**
 * The self-service pages: the links from invitation and reset emails, and the signed-in user's
 * own account. They call the same services as the JSON API `/api/auth`.
 */
export function accountRouter(deps: AccountDeps, guards: FormGuards): Router {
  const router = new Router();
  const form = [formOrJsonOnly, guards.body, guards.csrf];
  const resetForm = showResetForm(deps);
  const resetRequest = showResetRequest(deps);

  router.get('/invite', showInvite(deps));
  router.post('/invite', ...form, acceptInvite(deps));
  // One address for both steps, as the emails link it: with a token it is the reset link.
  router.get('/reset-password', (ctx: Context) =>
    ctx.query.token === undefined ? resetRequest(ctx) : resetForm(ctx),
  );
  router.post('/reset-password', ...form, requestReset(deps));
  router.post('/reset-password/complete', ...form, completeReset(deps));
  router.get('/account', showAccount(deps));
  router.get('/account/password', showChangePassword(deps));
  router.post('/account/password', ...form, changePassword(deps));
  return router;
}
