import type { Context } from 'koa';
import { AppError } from '../../errors/app-error.ts';
import type { AdminApiDeps } from './admin-api-deps.ts';
import { adminActor } from './admin-auth.ts';
import { adminUserJson } from './admin-user-json.ts';

/**
 * DELETE /users/:id/two-factor: removes the user's second factors and recovery codes (a lost phone).
 * Audited as `UserTwoFactorReset`; a member of a group that requires two-factor enrols again at
 * the next sign-in.
 */
export function resetTwoFactor(deps: AdminApiDeps) {
  return async (ctx: Context): Promise<void> => {
    const user = await deps.userManager.findById(String(ctx.params.id));
    if (!user) throw new AppError('not_found', 'No such user.');
    await deps.twoFactor.reset(user.id, adminActor(ctx));
    await deps.adminAudit.record(adminActor(ctx), {
      action: 'two-factor.reset',
      target: { type: 'user', id: user.id },
    });
    ctx.body = { ...adminUserJson(user), twoFactorProviders: await deps.twoFactor.enabledProviders(user) };
  };
}
