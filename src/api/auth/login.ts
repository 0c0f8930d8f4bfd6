import type { Context } from 'koa';
import { z } from 'zod';
import { actorOf } from '../../http/actor.ts';
import { AppError } from '../../http/app-error.ts';
import { parseBody } from '../../http/validation.ts';
import { ACR } from '../../oidc/acr.ts';
import type { AuthApiDeps } from './auth-api-deps.ts';
import { userJson } from './user-json.ts';

const loginBody = z.object({
  username: z.string().trim().min(1, 'Enter your email address.').max(320),
  password: z.string().min(1, 'Enter your password.').max(1024),
  rememberMe: z.boolean().default(false),
});

/**
 * POST /api/auth/login (Umbraco's PostLogin): signs the browser in on the same session as the
 * OIDC sign-in. Every failure answers the same 400.
 */
export function login(deps: AuthApiDeps) {
  return async (ctx: Context): Promise<void> => {
    const input = parseBody(ctx, loginBody);
    const result = await deps.signInManager.passwordSignIn(input.username, input.password, actorOf(ctx));
    if (!result.ok) throw new AppError('invalid_credentials');
    await deps.sessions.signIn(ctx, {
      accountId: result.user.id,
      amr: ['pwd'],
      acr: ACR.singleFactor,
      remember: input.rememberMe,
    });
    ctx.body = userJson(result.user);
  };
}
