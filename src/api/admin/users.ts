import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../../errors/app-error.ts';
import { parseBody } from '../../http/validation.ts';
import { ADMIN_GROUP } from '../../users/user.ts';
import type { AdminApiDeps } from './admin-api-deps.ts';
import { adminActor, adminOf } from './admin-auth.ts';
import { emailField, groupsField, nameField, passwordField } from './admin-schemas.ts';
import { adminUserJson } from './admin-user-json.ts';

/** GET /users */
export function listUsers(deps: AdminApiDeps) {
  return async (ctx: Context): Promise<void> => {
    ctx.body = { users: (await deps.userManager.listUsers()).map(adminUserJson) };
  };
}

/** GET /users/:id */
export function getUser(deps: AdminApiDeps) {
  return async (ctx: Context): Promise<void> => {
    const user = await deps.userManager.findById(String(ctx.params.id));
    if (!user) throw new AppError('not_found', 'No such user.');
    ctx.body = adminUserJson(user);
  };
}

const createBody = z.strictObject({
  email: emailField,
  name: nameField.optional(),
  groups: groupsField.optional(),
  password: passwordField,
});

/** POST /users: an active account with a password chosen by the administrator. */
export function createUser(deps: AdminApiDeps) {
  return async (ctx: Context): Promise<void> => {
    const input = parseBody(ctx, createBody);
    const user = await deps.userManager.createUser({ ...input, status: 'active' });
    ctx.status = 201;
    ctx.body = adminUserJson(user);
  };
}

const updateBody = z
  .strictObject({
    email: emailField.optional(),
    name: nameField.optional(),
    groups: groupsField.optional(),
    status: z.enum(['active', 'disabled'], 'The status must be "active" or "disabled".').optional(),
  })
  .refine(
    (b) => Object.values(b).some((v) => v !== undefined),
    'Nothing to change: send email, name, groups or status.',
  );

/** PATCH /users/:id: a groups change or disabling ends the user's sessions (in the user manager). */
export function updateUser(deps: AdminApiDeps) {
  return async (ctx: Context): Promise<void> => {
    const id = String(ctx.params.id);
    const changes = parseBody(ctx, updateBody);
    refuseSelfLockout(ctx, id, changes);
    ctx.body = adminUserJson(await deps.userManager.updateUser(id, changes));
  };
}

/** DELETE /users/:id */
export function deleteUser(deps: AdminApiDeps) {
  return async (ctx: Context): Promise<void> => {
    const id = String(ctx.params.id);
    refuseSelfLockout(ctx, id, { deleted: true });
    await deps.userManager.deleteUser(id);
    ctx.status = 204;
  };
}

/** POST /users/:id/unlock: lifts a lockout and clears the failure count. */
export function unlockUser(deps: AdminApiDeps) {
  return async (ctx: Context): Promise<void> => {
    const id = String(ctx.params.id);
    await deps.userManager.unlockUser(id, adminActor(ctx));
    const user = await deps.userManager.findById(id);
    if (!user) throw new AppError('not_found', 'No such user.');
    ctx.body = adminUserJson(user);
  };
}

const passwordBody = z.strictObject({ password: passwordField });

/** POST /users/:id/password: the administrator sets a password; every session of the user ends. */
export function setUserPassword(deps: AdminApiDeps) {
  return async (ctx: Context): Promise<void> => {
    const { password } = parseBody(ctx, passwordBody);
    const user = await deps.userManager.resetPassword(String(ctx.params.id), password, adminActor(ctx));
    ctx.body = adminUserJson(user);
  };
}

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
