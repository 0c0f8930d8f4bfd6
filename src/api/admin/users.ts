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
    await deps.adminAudit.record(adminActor(ctx), {
      action: 'user.create',
      target: { type: 'user', id: user.id },
      after: adminUserJson(user),
    });
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
    const before = await deps.userManager.findById(id);
    if (!before) throw new AppError('not_found', 'No such user.');
    const after = adminUserJson(await deps.userManager.updateUser(id, changes));
    await deps.adminAudit.record(adminActor(ctx), {
      action: 'user.update',
      target: { type: 'user', id },
      before: adminUserJson(before),
      after,
    });
    ctx.body = after;
  };
}

/** DELETE /users/:id */
export function deleteUser(deps: AdminApiDeps) {
  return async (ctx: Context): Promise<void> => {
    const id = String(ctx.params.id);
    refuseSelfLockout(ctx, id, { deleted: true });
    const before = await deps.userManager.findById(id);
    if (!before) throw new AppError('not_found', 'No such user.');
    await deps.userManager.deleteUser(id);
    await deps.adminAudit.record(adminActor(ctx), {
      action: 'user.delete',
      target: { type: 'user', id },
      before: adminUserJson(before),
    });
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
    await deps.adminAudit.record(adminActor(ctx), { action: 'user.unlock', target: { type: 'user', id } });
    ctx.body = adminUserJson(user);
  };
}

const passwordBody = z.strictObject({ password: passwordField });

/** POST /users/:id/password: the administrator sets a password; every session of the user ends. */
export function setUserPassword(deps: AdminApiDeps) {
  return async (ctx: Context): Promise<void> => {
    const { password } = parseBody(ctx, passwordBody);
    const user = await deps.userManager.resetPassword(String(ctx.params.id), password, adminActor(ctx));
    await deps.adminAudit.record(adminActor(ctx), {
      action: 'user.set-password',
      target: { type: 'user', id: user.id },
    });
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
