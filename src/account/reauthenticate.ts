import type { Context } from 'koa';
import { signInUrl } from '../admin/console-sign-in.ts';
import { AppError } from '../errors/app-error.ts';

/**
 * A credential change asked of a session whose sign-in is older than
 * PRIVILEGED_SESSION_MAX_AGE_SECONDS: the browser signs in again (`prompt=login`: the password and
 * the second factor, or the upstream with its own `prompt=login`, all through the sign-in
 * pipeline like any sign-in) and comes back to `returnTo`, where the person does it again. The
 * admin console sends its stale sessions the same way.
 */
export function sendToReauthentication(ctx: Context, returnTo: string): void {
  ctx.status = 303;
  ctx.redirect(signInUrl(returnTo, { fresh: true }));
}

export function isReauthenticationRequired(error: unknown): error is AppError {
  return error instanceof AppError && error.code === 'reauthentication_required';
}
