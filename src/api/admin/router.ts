import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { AdminApiDeps } from './admin-api-deps.ts';
import { adminAuthentication } from './admin-auth.ts';
import { openApiDocument } from './openapi/document.ts';
import { adminRoutes } from './routes/index.ts';

export const ADMIN_API_PREFIX = '/api/admin/v1';

/**
 * `/api/admin/v1`: everything the admin console does, for a signed-in administrator (with the
 * XSRF header on changes) or a client_credentials token with the `gatehouse:admin` scope. The
 * routes and `/openapi.json` come from the same declarations.
 */
export function adminApiRouter(deps: AdminApiDeps, guards: { csrf: Middleware; body: Middleware }): Router {
  const router = new Router({ prefix: ADMIN_API_PREFIX });
  const routes = adminRoutes(deps);
  const document = openApiDocument(routes, `${deps.settings.issuer}${ADMIN_API_PREFIX}`);
  // The description of the API is no secret: tools read it before they hold a token.
  router.get('/openapi.json', (ctx) => {
    ctx.body = document;
  });
  // The body is parsed before authentication because the CSRF check may read `_csrf` from it.
  const authenticated = [guards.body, adminAuthentication(deps, guards.csrf)];
  for (const r of routes) {
    router[r.method](r.path, ...authenticated, (ctx) => r.handle(ctx));
  }
  return router;
}
