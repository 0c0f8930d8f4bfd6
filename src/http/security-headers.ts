import type { Middleware } from 'koa';

/** Headers for every response, oidc-provider's included. */
export function securityHeaders(): Middleware {
  return async (ctx, next) => {
    await next();
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Frame-Options', 'DENY');
    if (ctx.secure) ctx.set('Strict-Transport-Security', 'max-age=31536000');
  };
}

/**
 * A strict content security policy for Gatehouse's own pages: our stylesheet and images only, no
 * scripts, no framing. Not applied to oidc-provider's responses, whose form_post page needs its
 * own inline script. `form-action` is left out on purpose: browsers apply it to the redirect that
 * follows a form post, which here goes to the client application.
 */
export function pageContentSecurityPolicy(): Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.response.is('html')) {
      ctx.set(
        'Content-Security-Policy',
        "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
      );
    }
  };
}
