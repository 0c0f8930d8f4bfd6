import Router from '@koa/router';
import type { Context } from 'koa';
import { formOrJsonOnly } from '../http/validation.ts';
import type { AccountDeps, FormGuards } from './account-deps.ts';
import { showAccount } from './account-page.ts';
import { changePassword, showChangePassword } from './change-password.ts';
import { acceptInvite, showInvite } from './invite.ts';
import { showLinkedLogins, unlinkFromPage } from './linked-logins.ts';
import { passwordPagesGuard } from './passwords-off.ts';
import { completeReset, showResetForm } from './reset-complete.ts';
import { requestReset, showResetRequest } from './reset-request.ts';
import {
  endOtherSessions,
  endSession,
  revokeApplication,
  showApplications,
  showSessions,
} from './sessions-page.ts';

/**
 * The self-service pages: the links from invitation and reset emails, and the signed-in user's
 * own account. They call the same services as the JSON API `/api/auth`.
 */
export function accountRouter(deps: AccountDeps, guards: FormGuards): Router {
  const router = new Router();
  const form = [formOrJsonOnly, guards.body, guards.csrf];
  const resetForm = showResetForm(deps);
  const resetRequest = showResetRequest(deps);
  // DenyLocalLogin: every page that sets, resets or changes a password answers 403 instead.
  const password = passwordPagesGuard(deps);

  // The invitation page itself stays: it offers the upstream providers instead of a password.
  router.get('/invite', showInvite(deps));
  router.post('/invite', password, ...form, acceptInvite(deps));
  // One address for both steps, as the emails link it: with a token it is the reset link.
  router.get('/reset-password', password, (ctx: Context) =>
    ctx.query.token === undefined ? resetRequest(ctx) : resetForm(ctx),
  );
  router.post('/reset-password', password, ...form, requestReset(deps));
  router.post('/reset-password/complete', password, ...form, completeReset(deps));
  router.get('/account', showAccount(deps));
  router.get('/account/password', password, showChangePassword(deps));
  router.post('/account/password', password, ...form, changePassword(deps));
  router.get('/account/linked-logins', showLinkedLogins(deps));
  router.post('/account/linked-logins/unlink', ...form, unlinkFromPage(deps));
  router.get('/account/sessions', showSessions(deps));
  router.post('/account/sessions/end', ...form, endSession(deps));
  router.post('/account/sessions/end-others', ...form, endOtherSessions(deps));
  router.get('/account/applications', showApplications(deps));
  router.post('/account/applications/revoke', ...form, revokeApplication(deps));
  return router;
}
