import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../../errors/app-error.ts';
import { actorOf } from '../../http/actor.ts';
import { startBrowserSession } from '../../http/browser-session.ts';
import { parseBody } from '../../http/validation.ts';
import type { AuthApiDeps } from './auth-api-deps.ts';
import { twoFactorCookie } from './two-factor-cookie.ts';
import { userJson } from './user-json.ts';

const loginBody = z.object({
  username: z.string().trim().min(1, 'Enter your email address.').max(320),
  password: z.string().min(1, 'Enter your password.').max(1024),
  rememberMe: z.boolean().default(false),
});

/**
 * POST /api/auth/login (Umbraco's PostLogin): signs the browser in on the same session as the
 * OIDC sign-in. Every failure answers the same 400; 402 when a second factor is due.
 */
export function login(deps: AuthApiDeps) {
  return async (ctx: Context): Promise<void> => {
    const input = parseBody(ctx, loginBody);
    // DENY_LOCAL_LOGIN_DOMAINS: known from the address alone, so said before the password is checked.
    if (await deps.external.registry.denyLocalLoginFor(input.username))
      throw new AppError('local_login_denied');
    const result = await deps.signInManager.passwordSignIn(input.username, input.password, actorOf(ctx));
    if (!result.ok) throw new AppError('invalid_credentials');
    const outcome = await deps.signIn.complete(result.user, [{ method: 'pwd' }], {
      actor: actorOf(ctx),
      attempt: { reserved: true, current: true },
    });
    if (outcome.status === 'refused') throw new AppError('invalid_credentials');
    if (outcome.status === 'second_factor') {
      // The API cannot enrol a second factor: that happens on the sign-in page.
      if (outcome.mode === 'enrol') throw new AppError('two_factor_enrolment_required');
      twoFactorCookie(deps.settings.issuer.startsWith('https://')).set(ctx, {
        userId: outcome.user.id,
        remember: input.rememberMe,
      });
      ctx.status = 402;
      ctx.body = {
        error: 'two_factor_required',
        message: 'Enter the code from your second factor.',
        providers: await deps.twoFactor.enabledProviders(outcome.user),
      };
      return;
    }
    await startBrowserSession(ctx, deps.sessions, outcome, input.rememberMe);
    ctx.body = userJson(outcome.user);
  };
}
