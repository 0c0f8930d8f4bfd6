import Router from '@koa/router';
import { formOrJsonOnly } from '../http/validation.ts';
import type { AdminDeps, AdminGuards } from './admin-deps.ts';
import {
  createApplication,
  showApplication,
  showApplications,
  showNewApplication,
  updateApplication,
} from './applications/application-pages.ts';
import { consolePage } from './console-sign-in.ts';
import {
  createProvider,
  dryRunProvider,
  showNewProvider,
  showProvider,
  showProviders,
  testProvider,
  updateProvider,
} from './providers/provider-pages.ts';
import { recentSignInRequired } from './render.ts';
import { rotateKeys, showAudit, showKeys, showOutbox } from './system-pages.ts';
import { deleteUserFromPage, userAction } from './users/user-actions.ts';
import { showUser } from './users/user-detail.ts';
import { showUsers } from './users/user-list.ts';
import { createUserFromForm, showNewUser } from './users/user-new.ts';

/**
 * `/admin`: the admin console, for members of the admin group. Every page is server-rendered,
 * every form carries the CSRF token, and every change needs a recent sign-in.
 */
export function adminRouter(deps: AdminDeps, guards: AdminGuards): Router {
  const router = new Router({ prefix: '/admin' });
  const readOnlyForm = [formOrJsonOnly, guards.body, guards.csrf];
  const form = [...readOnlyForm, recentSignInRequired(deps.settings.privilegedSessionMaxAgeSeconds)];
  router.use(consolePage(deps, { admin: true }));

  router.get('/', (ctx) => ctx.redirect('/admin/users'));
  router.get('/users', showUsers(deps));
  router.get('/users/new', showNewUser(deps));
  router.post('/users', ...form, createUserFromForm(deps));
  router.get('/users/:id', showUser(deps));
  router.post('/users/:id/delete', ...form, deleteUserFromPage(deps));
  router.post('/users/:id/:action', ...form, userAction(deps));
  router.get('/applications', showApplications(deps));
  router.get('/applications/new', showNewApplication(deps));
  router.post('/applications', ...form, createApplication(deps));
  router.get('/applications/:clientId', showApplication(deps));
  router.post('/applications/:clientId', ...form, updateApplication(deps));
  router.get('/providers', showProviders(deps));
  router.get('/providers/new', showNewProvider(deps));
  router.post('/providers', ...form, createProvider(deps));
  router.get('/providers/:alias', showProvider(deps));
  router.post('/providers/:alias', ...form, updateProvider(deps));
  // Reading the upstream's discovery and the dry run change nothing: no recent sign-in needed.
  router.post('/providers/:alias/test', ...readOnlyForm, testProvider(deps));
  router.post('/providers/:alias/dry-run', ...readOnlyForm, dryRunProvider(deps));
  router.get('/keys', showKeys(deps));
  router.post('/keys/rotate', ...form, rotateKeys(deps));
  router.get('/audit', showAudit(deps));
  router.get('/outbox', showOutbox(deps));
  return router;
}
