import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../../errors/app-error.ts';
import { actorOf } from '../../http/actor.ts';
import { requireSignedIn } from '../../http/current-session.ts';
import { parseBody } from '../../http/validation.ts';
import { passwordConfig as describeRules } from '../../users/password-policy.ts';
import type { AuthApiDeps } from './auth-api-deps.ts';

/** GET /api/auth/password-config: anonymous, because the invite and reset pages explain the rules. */
export function passwordConfig(deps: AuthApiDeps) {
  return (ctx: Context): void => {
    ctx.body = describeRules(deps.userManager.passwordSettings);
  };
}

const resetRequestBody = z.object({ email: z.string().trim().min(1, 'Enter your email address.').max(320) });

/** POST /api/auth/request-password-reset: always 200, whether or not the address is known. */
export function requestPasswordReset(deps: AuthApiDeps) {
  return (ctx: Context): void => {
    const { email } = parseBody(ctx, resetRequestBody);
    deps.passwordReset.request(email, actorOf(ctx));
    ctx.body = { message: 'If the address belongs to an account, an email with a reset link is on its way.' };
  };
}

const setPasswordBody = z.object({
  token: z.string().min(1, 'The reset token is missing.').max(256),
  password: z.string().min(1, 'Enter a new password.').max(1024),
});

/** POST /api/auth/set-password: completes a reset with the emailed token. */
export function setPassword(deps: AuthApiDeps) {
  return async (ctx: Context): Promise<void> => {
    const { token, password } = parseBody(ctx, setPasswordBody);
    await deps.passwordReset.complete(token, password, actorOf(ctx));
    ctx.body = { message: 'Your password has been changed. Sign in with the new one.' };
  };
}

const changePasswordBody = z.object({
  currentPassword: z.string().min(1, 'Enter your current password.').max(1024),
  newPassword: z.string().min(1, 'Enter a new password.').max(1024),
});

/** POST /api/auth/change-password: the signed-in user's own change; their other sessions end. */
export function changePassword(deps: AuthApiDeps) {
  return async (ctx: Context): Promise<void> => {
    const { user, session } = await requireSignedIn(ctx, deps);
    // DENY_LOCAL_LOGIN_DOMAINS: the same refusal as the whole route gets under DenyLocalLogin.
    if (await deps.external.registry.denyLocalLoginFor(user.email)) throw new AppError('local_login_denied');
    const input = parseBody(ctx, changePasswordBody);
    await deps.userManager.changePassword(user.id, input.currentPassword, input.newPassword, {
      actor: actorOf(ctx, user.id),
      keepSessionId: session.id,
    });
    ctx.body = { message: 'Your password has been changed.' };
  };
}
