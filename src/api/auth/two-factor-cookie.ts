import type { Context } from 'koa';

const LIFETIME_MS = 10 * 60 * 1000;

export interface PendingApiSecondFactor {
  userId: string;
  remember: boolean;
}

/**
 * Between a correct password and the second factor, the API keeps who is half signed in in a
 * signed, HttpOnly, ten-minute cookie. It grants nothing but access to the `two-factor/*` calls.
 */
export function twoFactorCookie(secure: boolean) {
  const name = secure ? '__Host-gh_2fa' : 'gh_2fa';
  const options = {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure,
    overwrite: true,
  } as const;
  return {
    set(ctx: Context, pending: PendingApiSecondFactor): void {
      const value = `${pending.userId}.${Date.now() + LIFETIME_MS}.${pending.remember ? 1 : 0}`;
      ctx.cookies.set(name, value, { ...options, maxAge: LIFETIME_MS });
    },
    get(ctx: Context): PendingApiSecondFactor | undefined {
      const [userId, expires, remember] = (ctx.cookies.get(name, { signed: true }) ?? '').split('.');
      if (!userId || Number(expires) < Date.now()) return undefined;
      return { userId, remember: remember === '1' };
    },
    clear(ctx: Context): void {
      ctx.cookies.set(name, null, options);
    },
  };
}
