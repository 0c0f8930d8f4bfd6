import Router from '@koa/router';
import { formOrJsonOnly } from '../../http/validation.ts';
import type { FormGuards } from '../account-deps.ts';
import {
  confirmAuthenticator,
  confirmEmailCodes,
  disableTwoFactor,
  regenerateRecoveryCodes,
  showAuthenticatorSetup,
  showTwoFactor,
  startEmailCodes,
  type TwoFactorPageDeps,
} from './two-factor-pages.ts';

/** `/account/two-factor`: the user's own second factors. */
export function twoFactorAccountRouter(deps: TwoFactorPageDeps, guards: FormGuards): Router {
  const router = new Router({ prefix: '/account/two-factor' });
  const form = [formOrJsonOnly, guards.body, guards.csrf];
  router.get('/', showTwoFactor(deps));
  router.get('/authenticator', showAuthenticatorSetup(deps));
  router.post('/authenticator', ...form, confirmAuthenticator(deps));
  router.post('/email', ...form, startEmailCodes(deps));
  router.post('/email/confirm', ...form, confirmEmailCodes(deps));
  router.post('/recovery-codes', ...form, regenerateRecoveryCodes(deps));
  router.post('/disable', ...form, disableTwoFactor(deps));
  return router;
}
