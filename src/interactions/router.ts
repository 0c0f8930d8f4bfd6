import Router from '@koa/router';
import type { Middleware } from 'koa';
import { formOrJsonOnly } from '../http/validation.ts';
import { abortInteraction } from './abort.ts';
import { passwordsOrBreakGlass } from './break-glass.ts';
import { submitConsent } from './consent.ts';
import { sendConfirmLinkCode, submitConfirmLink } from './external/confirm-link.ts';
import { openConfirmLinkEmail } from './external/confirm-link-email.ts';
import { completeExternalSignIn } from './external/external-callback.ts';
import { startExternalSignIn } from './external/start-external.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import { submitLogin } from './login.ts';
import {
  confirmEnrolment,
  continueAfterEnrolment,
  sendSecondFactorCode,
  submitSecondFactor,
} from './second-factor/two-factor-step.ts';
import { showInteraction } from './show-interaction.ts';

export function interactionRouter(
  deps: InteractionDeps,
  guards: { csrf: Middleware; body: Middleware },
): Router {
  const router = new Router({ prefix: '/interaction/:uid' });
  const form = [formOrJsonOnly, guards.body, guards.csrf];
  router.get('/', showInteraction(deps));
  router.post('/login', ...form, passwordsOrBreakGlass(deps), submitLogin(deps));
  router.post('/consent', ...form, submitConsent(deps));
  router.post('/abort', ...form, abortInteraction(deps));
  router.post('/external/:alias', ...form, startExternalSignIn(deps));
  router.get('/external/:alias/callback', completeExternalSignIn(deps));
  router.post('/confirm-link', ...form, submitConfirmLink(deps));
  router.post('/confirm-link/email-code', ...form, sendConfirmLinkCode(deps));
  router.get('/confirm-link/email', openConfirmLinkEmail(deps));
  router.post('/two-factor', ...form, submitSecondFactor(deps));
  router.post('/two-factor/send', ...form, sendSecondFactorCode(deps));
  router.post('/two-factor/enrol', ...form, confirmEnrolment(deps));
  router.post('/two-factor/continue', ...form, continueAfterEnrolment(deps));
  return router;
}
