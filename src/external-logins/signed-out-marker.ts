import type { Context } from 'koa';

/**
 * Set for a few minutes when a user signs out, so that an auto-redirect provider does not send
 * them straight back upstream (and in again) when the application restarts its sign-in.
 */
export const SIGNED_OUT_COOKIE = 'gh_signed_out';

export function markSignedOut(ctx: Context): void {
  ctx.cookies.set(SIGNED_OUT_COOKIE, '1', {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    maxAge: 5 * 60 * 1000,
    overwrite: true,
  });
}
