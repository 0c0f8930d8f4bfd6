import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { AdminApiDeps } from './admin-api-deps.ts';
import { adminAuthentication } from './admin-auth.ts';
import { listAuditEvents } from './audit-events.ts';
import { listExternalLogins } from './external-logins.ts';
import { inviteUser } from './invitations.ts';
import { resetTwoFactor } from './two-factor.ts';
import {
  createUser,
  deleteUser,
  getUser,
  listUsers,
  setUserPassword,
  unlockUser,
  updateUser,
} from './users.ts';

/**
 * `/api/admin/v1`: user administration and the audit log, for a signed-in administrator (with the
 * XSRF header on changes) or a client_credentials token with the `gatehouse:admin` scope.
 */
export function adminApiRouter(deps: AdminApiDeps, guards: { csrf: Middleware; body: Middleware }): Router {
  const router = new Router({ prefix: '/api/admin/v1' });
  // The body is parsed before authentication because the CSRF check may read `_csrf` from it.
  router.use(guards.body, adminAuthentication(deps, guards.csrf));

  router.get('/users', listUsers(deps));
  router.post('/users', createUser(deps));
  router.post('/users/invite', inviteUser(deps));
  router.get('/users/:id', getUser(deps));
  router.patch('/users/:id', updateUser(deps));
  router.delete('/users/:id', deleteUser(deps));
  router.post('/users/:id/unlock', unlockUser(deps));
  router.post('/users/:id/password', setUserPassword(deps));
  router.get('/users/:id/external-logins', listExternalLogins(deps));
  router.delete('/users/:id/two-factor', resetTwoFactor(deps));
  router.get('/audit-events', listAuditEvents(deps));
  return router;
}
