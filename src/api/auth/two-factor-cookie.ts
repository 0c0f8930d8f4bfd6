import type { Context } from 'koa';
import { signedCookie } from '../../http/signed-cookie.ts';

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
  const cookie = signedCookie('gh_2fa', secure);
  return {
    set(ctx: Context, pending: PendingApiSecondFactor): void {
      cookie.set(
        ctx,
        `${pending.userId}.${Date.now() + LIFETIME_MS}.${pending.remember ? 1 : 0}`,
        LIFETIME_MS,
      );
    },
    get(ctx: Context): PendingApiSecondFactor | undefined {
      const [userId, expires, remember] = (cookie.get(ctx) ?? '').split('.');
      if (!userId || Number(expires) < Date.now()) return undefined;
      return { userId, remember: remember === '1' };
    },
    clear: cookie.clear,
  };
}
