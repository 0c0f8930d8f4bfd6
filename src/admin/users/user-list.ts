import type { Context } from 'koa';
import { z } from 'zod';
import { parse } from '../../http/validation.ts';
import type { AdminDeps } from '../admin-deps.ts';
import { pageNumber, pagination, renderAdmin, when } from '../render.ts';

export const USERS_PER_PAGE = 50;

const filters = z.object({
  q: z.string().trim().max(320).optional().catch(undefined),
  group: z.string().trim().max(64).optional().catch(undefined),
  status: z.enum(['active', 'invited', 'disabled']).optional().catch(undefined),
});

/** GET /admin/users: search by email, name, group and status, fifty to a page. */
export function showUsers(deps: AdminDeps) {
  return async (ctx: Context): Promise<void> => {
    const filter = parse(filters, ctx.query);
    const page = pageNumber(ctx.query.page);
    const { users, total } = await deps.userManager.searchUsers({
      query: filter.q || undefined,
      group: filter.group || undefined,
      status: filter.status,
      offset: (page - 1) * USERS_PER_PAGE,
      limit: USERS_PER_PAGE,
    });
    const kept = { q: filter.q, group: filter.group, status: filter.status };
    renderAdmin(ctx, deps.views, 'users/list.njk', {
      filter,
      ...pagination('/admin/users', kept, page, total, USERS_PER_PAGE),
      users: users.map((u) => ({
        ...u,
        lastLogin: when(u.lastLoginAt),
        locked: u.lockoutEnd && u.lockoutEnd > new Date(),
      })),
    });
  };
}
