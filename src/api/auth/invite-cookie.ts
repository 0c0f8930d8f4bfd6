import type { Context } from 'koa';

/**
 * The partial sign-in of an invitee: after `verify-invite`, a signed, HttpOnly cookie holds the
 * invitation token, and only the invitation endpoints accept it. The token itself stays unused
 * until the invitation is completed.
 */
export function inviteCookie(secure: boolean) {
  const name = secure ? '__Host-gh_invite' : 'gh_invite';
  const options = {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure,
    overwrite: true,
  } as const;
  return {
    set(ctx: Context, token: string, maxAgeMs: number): void {
      ctx.cookies.set(name, token, { ...options, maxAge: maxAgeMs });
    },
    get(ctx: Context): string | undefined {
      return ctx.cookies.get(name, { signed: true }) || undefined;
    },
    clear(ctx: Context): void {
      ctx.cookies.set(name, null, options);
    },
  };
}
