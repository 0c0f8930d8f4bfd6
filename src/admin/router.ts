import Router from '@koa/router';
import { formOrJsonOnly } from '../http/validation.ts';
import type { AdminDeps, AdminGuards } from './admin-deps.ts';
import { consolePage } from './console-sign-in.ts';
import { recentSignInRequired } from './render.ts';
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
  const form = [formOrJsonOnly, guards.body, guards.csrf, recentSignInRequired];
  router.use(consolePage(deps, { admin: true }));

  router.get('/', (ctx) => ctx.redirect('/admin/users'));
  router.get('/users', showUsers(deps));
  router.get('/users/new', showNewUser(deps));
  router.post('/users', ...form, createUserFromForm(deps));
  router.get('/users/:id', showUser(deps));
  router.post('/users/:id/delete', ...form, deleteUserFromPage(deps));
  router.post('/users/:id/:action', ...form, userAction(deps));
  return router;
}
