import type { AdminApiDeps } from '../admin-api-deps.ts';
import type { AdminRoute } from '../openapi/define.ts';
import { clientRoutes } from './client-routes.ts';
import { providerRoutes } from './provider-routes.ts';
import { systemRoutes } from './system-routes.ts';
import { userAccessRoutes } from './user-access-routes.ts';
import { userRoutes } from './user-routes.ts';

/** Every operation of /api/admin/v1: what the router mounts and what the OpenAPI document lists. */
export function adminRoutes(deps: AdminApiDeps): AdminRoute[] {
  return [
    ...userRoutes(deps),
    ...userAccessRoutes(deps),
    ...clientRoutes(deps),
    ...providerRoutes(deps),
    ...systemRoutes(deps),
  ];
}
