import type { Context } from 'koa';

/**
 * Set for a few minutes when a user signs out, or when an upstream sign-in failed or was refused,
 * so that an auto-redirect provider does not send them straight back upstream: after a sign-out
 * the upstream would sign them in again, and after a refusal or an error it would answer the
 * same way again, so the browser would go round in a circle.
 */
export const SIGNED_OUT_COOKIE = 'gh_signed_out';

export function markSignedOut(ctx: Context): void {
  pauseAutoRedirect(ctx);
}

/** An upstream error or a refused external sign-in: show the sign-in page next, not the upstream. */
export function pauseAutoRedirect(ctx: Context): void {
  ctx.cookies.set(SIGNED_OUT_COOKIE, '1', {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    maxAge: 5 * 60 * 1000,
    overwrite: true,
  });
}
