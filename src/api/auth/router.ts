import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { AuthApiDeps } from './auth-api-deps.ts';
import { currentInvitedUser, setInvitedUserPassword, verifyInvite } from './invites.ts';
import { login } from './login.ts';
import { logout } from './logout.ts';
import { changePassword, passwordConfig, requestPasswordReset, setPassword } from './passwords.ts';
import { currentUser, isAuthenticated, remainingTimeoutSeconds } from './session-info.ts';
import { sendTwoFactorCode, twoFactorProviders, verifyTwoFactorCode } from './two-factor.ts';

/**
 * `/api/auth`: Umbraco's AuthenticationController as JSON. Every POST needs the `X-XSRF-Token`
 * header (the value of the `gh_xsrf` cookie that any response here sets).
 */
export function authApiRouter(deps: AuthApiDeps, guards: { csrf: Middleware; body: Middleware }): Router {
  const router = new Router({ prefix: '/api/auth' });
  const post = (path: string, handler: Middleware) => router.post(path, guards.body, guards.csrf, handler);

  router.get('/is-authenticated', isAuthenticated(deps));
  router.get('/remaining-timeout-seconds', remainingTimeoutSeconds(deps));
  router.get('/current-user', currentUser(deps));
  router.get('/current-invited-user', currentInvitedUser(deps));
  router.get('/password-config', passwordConfig(deps));
  post('/login', login(deps));
  post('/logout', logout(deps));
  post('/verify-invite', verifyInvite(deps));
  post('/set-invited-user-password', setInvitedUserPassword(deps));
  post('/request-password-reset', requestPasswordReset(deps));
  post('/set-password', setPassword(deps));
  post('/change-password', changePassword(deps));
  router.get('/two-factor/providers', twoFactorProviders(deps));
  post('/two-factor/send', sendTwoFactorCode(deps));
  post('/two-factor/verify', verifyTwoFactorCode(deps));
  return router;
}
