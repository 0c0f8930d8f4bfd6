import Tokens from 'csrf';
import type { Context, Middleware } from 'koa';
import { AppError } from '../errors/app-error.ts';

const tokens = new Tokens();

export interface CsrfOptions {
  /** Under https the cookies are `Secure` and carry the `__Host-` prefix. */
  secure: boolean;
}

export interface CsrfCookieNames {
  secret: string;
  token: string;
}

export function csrfCookieNames(secure: boolean): CsrfCookieNames {
  return secure
    ? { secret: '__Host-gh_csrf', token: '__Host-gh_xsrf' }
    : { secret: 'gh_csrf', token: 'gh_xsrf' };
}

/**
 * Synchronizer tokens tied to a per-browser secret kept in an HttpOnly cookie. Pages get the token
 * as `ctx.state.csrfToken` for a hidden `_csrf` field; JavaScript callers of the JSON API read it
 * from the `gh_xsrf` cookie and send it back as `X-XSRF-Token` (Umbraco's and Angular's pattern).
 */
export function csrfProtection(options: CsrfOptions): { issue: Middleware; verify: Middleware } {
  const names = csrfCookieNames(options.secure);
  // Secure only on a request Koa sees as https: Koa throws (a 500) rather than set a Secure cookie
  // on plain http, which is what arrives when a proxy omits X-Forwarded-Proto or someone bypasses
  // it. The browser then drops the __Host- cookie and the form fails with a clear 403, as
  // oidc-provider's own cookies do in that case.
  const cookieFor = (ctx: Context, httpOnly: boolean) =>
    ({
      path: '/',
      sameSite: 'lax',
      secure: options.secure && ctx.secure,
      overwrite: true,
      httpOnly,
    }) as const;

  const secretFor = (ctx: Context): string => {
    const existing = ctx.cookies.get(names.secret);
    if (existing && /^[\w-]{18,64}$/.test(existing)) return existing;
    const secret = tokens.secretSync();
    ctx.cookies.set(names.secret, secret, cookieFor(ctx, true));
    return secret;
  };

  const issue: Middleware = async (ctx, next) => {
    const secret = secretFor(ctx);
    const token = tokens.create(secret);
    ctx.state.csrfToken = token;
    ctx.cookies.set(names.token, token, cookieFor(ctx, false));
    await next();
  };

  const verify: Middleware = async (ctx, next) => {
    if (isSafeMethod(ctx.method)) return next();
    const secret = ctx.cookies.get(names.secret);
    const body = ctx.request.body as Record<string, unknown> | undefined;
    const sent = ctx.get('x-xsrf-token') || (typeof body?._csrf === 'string' ? body._csrf : '');
    if (!secret || !sent || !tokens.verify(secret, sent)) throw new AppError('csrf_failed');
    await next();
  };

  return { issue, verify };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A request that reads and changes nothing: no CSRF token, no recent sign-in asked of it. */
export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method);
}
