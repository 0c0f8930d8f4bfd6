import Router from '@koa/router';
import type { Middleware } from 'koa';
import { localLoginGuard } from '../../http/local-login-guard.ts';
import type { AuthApiDeps } from './auth-api-deps.ts';
import { currentInvitedUser, setInvitedUserPassword, verifyInvite } from './invites.ts';
import { login } from './login.ts';
import { logout } from './logout.ts';
import { changePassword, passwordConfig, requestPasswordReset, setPassword } from './passwords.ts';
import { currentUser, isAuthenticated, remainingTimeoutSeconds } from './session-info.ts';
import { sendTwoFactorCode, twoFactorProviders, verifyTwoFactorCode } from './two-factor.ts';
import { unlinkLogin } from './unlink-login.ts';

/**
 * `/api/auth`: Umbraco's AuthenticationController as JSON. Every POST needs the `X-XSRF-Token`
 * header (the value of the `gh_xsrf` cookie that any response here sets).
 */
export function authApiRouter(deps: AuthApiDeps, guards: { csrf: Middleware; body: Middleware }): Router {
  const router = new Router({ prefix: '/api/auth' });
  const post = (path: string, ...handlers: Middleware[]) =>
    router.post(path, guards.body, guards.csrf, ...handlers);
  // DenyLocalLogin: 403 for every call that uses or sets a local password.
  const password = localLoginGuard(deps.external.registry);

  router.get('/is-authenticated', isAuthenticated(deps));
  router.get('/remaining-timeout-seconds', remainingTimeoutSeconds(deps));
  router.get('/current-user', currentUser(deps));
  router.get('/current-invited-user', currentInvitedUser(deps));
  router.get('/password-config', passwordConfig(deps));
  post('/login', password, login(deps));
  post('/logout', logout(deps));
  post('/verify-invite', verifyInvite(deps));
  post('/set-invited-user-password', password, setInvitedUserPassword(deps));
  post('/request-password-reset', password, requestPasswordReset(deps));
  post('/set-password', password, setPassword(deps));
  post('/change-password', password, changePassword(deps));
  post('/unlink-login', unlinkLogin(deps));
  router.get('/two-factor/providers', twoFactorProviders(deps));
  post('/two-factor/send', sendTwoFactorCode(deps));
  post('/two-factor/verify', verifyTwoFactorCode(deps));
  return router;
}
