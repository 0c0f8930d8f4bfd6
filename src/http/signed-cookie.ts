import type { Context } from 'koa';

export interface SignedCookie {
  set(ctx: Context, value: string, maxAgeMs: number): void;
  get(ctx: Context): string | undefined;
  clear(ctx: Context): void;
}

/**
 * A short-lived, signed (with the cookie key from SECRET_KEY), HttpOnly cookie for a step between
 * two requests. Under https it is `Secure` and `__Host-`-prefixed.
 */
export function signedCookie(baseName: string, secure: boolean): SignedCookie {
  const name = secure ? `__Host-${baseName}` : baseName;
  const options = {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure,
    overwrite: true,
  } as const;
  return {
    set: (ctx, value, maxAgeMs) => ctx.cookies.set(name, value, { ...options, maxAge: maxAgeMs }),
    get: (ctx) => ctx.cookies.get(name, { signed: true }) || undefined,
    clear: (ctx) => ctx.cookies.set(name, null, options),
  };
}
