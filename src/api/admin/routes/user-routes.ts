import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../../../errors/app-error.ts';
import { LOCALES } from '../../../i18n/i18n.ts';
import { ADMIN_GROUP, type User } from '../../../users/user.ts';
import type { AdminApiDeps } from '../admin-api-deps.ts';
import { adminActor, adminOf } from '../admin-auth.ts';
import {
  emailField,
  groupsField,
  nameField,
  pagingQuery,
  passwordField,
  userListResponse,
  userResponse,
} from '../admin-schemas.ts';
import { adminUserJson } from '../admin-user-json.ts';
import { type AdminRoute, route } from '../openapi/define.ts';

const TAG = 'Users';
const notFound = { description: 'No such user.' };

export async function requireUser(deps: AdminApiDeps, id: string): Promise<User> {
  const user = await deps.userManager.findById(id);
  if (!user) throw new AppError('not_found', 'No such user.');
  return user;
}

const listQuery = z.object({
  q: z.string().trim().max(320).optional().describe('Part of the email address or name.'),
  group: z.string().trim().max(64).optional(),
  status: z.enum(['invited', 'active', 'disabled'], 'status must be invited, active or disabled.').optional(),
  ...pagingQuery,
});

const createBody = z.strictObject({
  email: emailField,
  name: nameField.optional(),
  groups: groupsField.optional(),
  password: passwordField,
  /** The administrator vouches for the address (default false: the user has not proven it). */
  emailVerified: z.boolean('emailVerified must be true or false.').optional(),
});

const inviteBody = z.strictObject({
  email: emailField,
  name: nameField.optional(),
  groups: groupsField.optional(),
  message: z
    .string('The message must be text.')
    .trim()
    .max(2000, 'The message is too long (2000 at most).')
    .optional(),
  /** The invitee may accept through an upstream account with another address (default false). */
  allowOtherEmail: z.boolean('allowOtherEmail must be true or false.').optional(),
  locale: z
    .enum(LOCALES, `locale must be one of ${LOCALES.join(', ')}.`)
    .optional()
    .describe("The invitee's language (default: this request's); later emails use it too."),
});

const updateBody = z
  .strictObject({
    email: emailField.optional(),
    name: nameField.optional(),
    groups: groupsField.optional(),
    status: z.enum(['active', 'disabled'], 'The status must be "active" or "disabled".').optional(),
    emailVerified: z.boolean('emailVerified must be true or false.').optional(),
    /** A user without a password may set one through "Forgot password" (never under DenyLocalLogin). */
    localPasswordAllowed: z.boolean('localPasswordAllowed must be true or false.').optional(),
  })
  .refine(
    (b) => Object.values(b).some((v) => v !== undefined),
    'Nothing to change: send email, name, groups, status, emailVerified or localPasswordAllowed.',
  );

/**
 * An administrator working in the browser cannot disable, delete or demote their own account: it
 * would end the very session they are using and could leave nobody able to administer Gatehouse.
 */
function refuseSelfLockout(
  ctx: Context,
  id: string,
  change: { status?: string | undefined; groups?: string[] | undefined; deleted?: boolean },
): void {
  const admin = adminOf(ctx);
  if (admin.kind !== 'user' || admin.userId !== id) return;
  if (
    change.deleted ||
    change.status === 'disabled' ||
    (change.groups && !change.groups.includes(ADMIN_GROUP))
  ) {
    throw new AppError('conflict', 'You cannot disable, delete or remove yourself from the admin group.');
  }
}

/** The neighbouring pages of a search, with the same filters; null at either end. */
function pageLinks(query: z.infer<typeof listQuery>, total: number) {
  const link = (offset: number) => {
    const filters = { q: query.q, group: query.group, status: query.status };
    const params = new URLSearchParams(Object.entries(filters).filter((e): e is [string, string] => !!e[1]));
    params.set('offset', String(offset));
    params.set('limit', String(query.limit));
    return `/api/admin/v1/users?${params}`;
  };
  const { offset, limit } = query;
  return {
    next: offset + limit < total ? link(offset + limit) : null,
    previous: offset > 0 ? link(Math.max(0, offset - limit)) : null,
  };
}

export function userRoutes(deps: AdminApiDeps): AdminRoute[] {
  return [
    route({
      method: 'get',
      path: '/users',
      tag: TAG,
      summary: 'Find users by email, name, group and status, a page at a time',
      query: listQuery,
      responses: { 200: { description: 'One page of users, by email.', schema: userListResponse } },
      async handler(ctx, { query }) {
        const { users, total } = await deps.userManager.searchUsers({ ...query, query: query.q });
        ctx.body = {
          users: users.map(adminUserJson),
          total,
          offset: query.offset,
          limit: query.limit,
          ...pageLinks(query, total),
        };
      },
    }),
    route({
      method: 'post',
      path: '/users',
      tag: TAG,
      summary: 'Create an active user with a password chosen by the administrator',
      body: createBody,
      responses: {
        201: { description: 'Created.', schema: userResponse },
        409: { description: 'The email address is taken.' },
      },
      async handler(ctx, { body }) {
        const user = await deps.userManager.createUser({ ...body, status: 'active' });
        await deps.adminAudit.record(adminActor(ctx), {
          action: 'user.create',
          target: { type: 'user', id: user.id },
          after: adminUserJson(user),
        });
        ctx.status = 201;
        ctx.body = adminUserJson(user);
      },
    }),
    route({
      method: 'post',
      path: '/users/invite',
      tag: TAG,
      summary: 'Invite a user by email (again: voids the earlier link); the link is not returned',
      body: inviteBody,
      responses: {
        201: { description: 'Invited.', schema: userResponse },
        409: { description: 'The address belongs to an account that is not invited.' },
      },
      async handler(ctx, { body }) {
        const { user } = await deps.invitations.invite(body, adminActor(ctx));
        await deps.adminAudit.record(adminActor(ctx), {
          action: 'invitation.send',
          target: { type: 'user', id: user.id },
          after: adminUserJson(user),
        });
        ctx.status = 201;
        ctx.body = adminUserJson(user);
      },
    }),
    route({
      method: 'get',
      path: '/users/:id',
      tag: TAG,
      summary: 'One user',
      responses: { 200: { description: 'The user.', schema: userResponse }, 404: notFound },
      async handler(ctx, { params }) {
        ctx.body = adminUserJson(await requireUser(deps, params.id ?? ''));
      },
    }),
    route({
      method: 'patch',
      path: '/users/:id',
      tag: TAG,
      summary: "Change name, email, groups or status; a groups change or disabling ends the user's sessions",
      body: updateBody,
      responses: {
        200: { description: 'The changed user.', schema: userResponse },
        404: notFound,
        409: { description: 'The email is taken, or an admin would lock themselves out.' },
      },
      async handler(ctx, { body, params }) {
        const id = params.id ?? '';
        refuseSelfLockout(ctx, id, body);
        const before = await requireUser(deps, id);
        const after = adminUserJson(await deps.userManager.updateUser(id, body));
        await deps.adminAudit.record(adminActor(ctx), {
          action: 'user.update',
          target: { type: 'user', id },
          before: adminUserJson(before),
          after,
        });
        ctx.body = after;
      },
    }),
    route({
      method: 'delete',
      path: '/users/:id',
      tag: TAG,
      summary: 'Delete a user; their sessions and tokens end',
      responses: { 204: { description: 'Deleted.' }, 404: notFound, 409: { description: 'That is you.' } },
      async handler(ctx, { params }) {
        const id = params.id ?? '';
        refuseSelfLockout(ctx, id, { deleted: true });
        const before = await requireUser(deps, id);
        await deps.userManager.deleteUser(id);
        await deps.adminAudit.record(adminActor(ctx), {
          action: 'user.delete',
          target: { type: 'user', id },
          before: adminUserJson(before),
        });
        ctx.status = 204;
      },
    }),
  ];
}
