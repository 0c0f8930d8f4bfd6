import type { Context, Middleware } from 'koa';
import { signInUrl } from '../admin/console-sign-in.ts';
import { AppError } from '../errors/app-error.ts';
import { localLoginGuard } from '../http/local-login-guard.ts';
import type { InteractionDeps } from './interaction-deps.ts';

/** Set by /break-glass for the sign-in that follows; it only unlocks the form, never the account. */
const BREAK_GLASS_COOKIE = 'gh_break_glass';
const FIFTEEN_MINUTES_MS = 15 * 60 * 1000;

/**
 * GET /break-glass — the way in when the upstream is down and DenyLocalLogin is on: the console's
 * sign-in, with the password form back and no automatic redirect upstream. What lets someone in is
 * decided by the sign-in pipeline (membership of BREAK_GLASS_GROUP, password, a second factor).
 */
export function startBreakGlass(deps: Pick<InteractionDeps, 'breakGlassGroup'>) {
  return async (ctx: Context): Promise<void> => {
    if (!deps.breakGlassGroup) throw AppError.keyed('not_found', 'breakGlass.notSetUp');
    ctx.cookies.set(BREAK_GLASS_COOKIE, '1', {
      httpOnly: true,
      sameSite: 'lax',
      maxAge: FIFTEEN_MINUTES_MS,
      overwrite: true,
    });
    ctx.state.log?.warn({ ip: ctx.ip }, 'break-glass sign-in started');
    ctx.status = 303;
    ctx.redirect(signInUrl('/admin', { fresh: true }));
  };
}

/** The break-glass group when this browser's sign-in started at /break-glass and it is set up. */
export function breakGlassOf(
  ctx: Context,
  deps: Pick<InteractionDeps, 'breakGlassGroup'>,
): { group: string } | undefined {
  return deps.breakGlassGroup && ctx.cookies.get(BREAK_GLASS_COOKIE)
    ? { group: deps.breakGlassGroup }
    : undefined;
}

/** DenyLocalLogin's guard on the password step, which a break-glass sign-in passes. */
export function passwordsOrBreakGlass(deps: InteractionDeps): Middleware {
  const guard = localLoginGuard(deps.external.registry);
  return (ctx, next) => (breakGlassOf(ctx, deps) ? next() : guard(ctx, next));
}
