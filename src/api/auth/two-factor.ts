import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../../errors/app-error.ts';
import { actorOf } from '../../http/actor.ts';
import { startBrowserSession } from '../../http/browser-session.ts';
import { parseBody } from '../../http/validation.ts';
import type { CompletedFactor } from '../../sign-in/factors.ts';
import type { User } from '../../users/user.ts';
import type { AuthApiDeps } from './auth-api-deps.ts';
import { twoFactorCookie } from './two-factor-cookie.ts';
import { userJson } from './user-json.ts';

async function pendingUser(ctx: Context, deps: AuthApiDeps): Promise<{ user: User; remember: boolean }> {
  const pending = twoFactorCookie(deps.settings.issuer.startsWith('https://')).get(ctx);
  const user = pending ? await deps.userManager.findById(pending.userId) : undefined;
  if (!pending || user?.status !== 'active') {
    throw new AppError('unauthenticated', 'Sign in with your password first.');
  }
  return { user, remember: pending.remember };
}

/** GET /api/auth/two-factor/providers (Umbraco's Get2FAProviders). */
export function twoFactorProviders(deps: AuthApiDeps) {
  return async (ctx: Context): Promise<void> => {
    const { user } = await pendingUser(ctx, deps);
    ctx.body = { providers: await deps.twoFactor.enabledProviders(user) };
  };
}

const sendBody = z.object({ provider: z.literal('email', 'Only the email provider sends codes.') });

/** POST /api/auth/two-factor/send (PostSend2FACode): emails a code. */
export function sendTwoFactorCode(deps: AuthApiDeps) {
  return async (ctx: Context): Promise<void> => {
    const { user } = await pendingUser(ctx, deps);
    parseBody(ctx, sendBody);
    if (!(await deps.twoFactor.enabledProviders(user)).includes('email')) {
      throw new AppError('invalid_input', 'Email codes are not turned on for this account.');
    }
    await deps.twoFactor.sendEmailCode(user, actorOf(ctx));
    ctx.body = { sent: true };
  };
}

const verifyBody = z.object({
  provider: z.enum(['totp', 'email', 'recovery']),
  code: z.string().trim().min(1, 'Enter the code.').max(64),
});

/** POST /api/auth/two-factor/verify (PostVerify2FACode): completes the sign-in. */
export function verifyTwoFactorCode(deps: AuthApiDeps) {
  return async (ctx: Context): Promise<void> => {
    const { user, remember } = await pendingUser(ctx, deps);
    const input = parseBody(ctx, verifyBody);
    const outcome = await deps.twoFactor.verify(user, input.provider, input.code, actorOf(ctx));
    if (!outcome.ok) throw new AppError('invalid_input', 'The code is not right.');
    twoFactorCookie(deps.settings.issuer.startsWith('https://')).clear(ctx);
    const second: CompletedFactor =
      outcome.provider === 'totp' ? { method: 'otp' } : { method: outcome.provider };
    const signedIn = await deps.signIn.complete(user, [{ method: 'pwd' }, second], {
      actor: actorOf(ctx),
      attempt: { reserved: true, current: false },
    });
    if (signedIn.status !== 'complete')
      throw new AppError('unauthenticated', 'Sign in with your password first.');
    await startBrowserSession(ctx, deps.sessions, signedIn, remember);
    ctx.body = {
      ...userJson(signedIn.user),
      ...(outcome.remainingRecoveryCodes === undefined
        ? {}
        : { remainingRecoveryCodes: outcome.remainingRecoveryCodes }),
    };
  };
}
