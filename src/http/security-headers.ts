import type { Middleware } from 'koa';

/** Headers for every response, oidc-provider's included. */
export function securityHeaders(): Middleware {
  return async (ctx, next) => {
    // Set before the handlers run, so that an answer made from an error carries them too.
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Frame-Options', 'DENY');
    if (ctx.secure) ctx.set('Strict-Transport-Security', 'max-age=31536000');
    await next();
  };
}

/**
 * Our pages' policy: our stylesheet, our one script and our images only (plus the logo's origin
 * when the logo is remote), no framing.
 */
export function pageContentSecurityPolicyValue(logoOrigin?: string): string {
  const images = ["'self'", 'data:', ...(logoOrigin ? [logoOrigin] : [])].join(' ');
  return `default-src 'none'; style-src 'self'; script-src 'self'; img-src ${images}; frame-ancestors 'none'; base-uri 'none'`;
}

/**
 * A strict content security policy for Gatehouse's own pages (see above). Not applied to oidc-provider's responses, whose form_post page needs its
 * own inline script. `form-action` is left out on purpose: browsers apply it to the redirect that
 * follows a form post, which here goes to the client application.
 */
export function pageContentSecurityPolicy(logoOrigin?: string): Middleware {
  const policy = pageContentSecurityPolicyValue(logoOrigin);
  return async (ctx, next) => {
    // Set up front, so the page carries it whichever middleware ends up rendering it (an error
    // page included). On a JSON or redirect response it is harmless.
    ctx.set('Content-Security-Policy', policy);
    await next();
  };
}

/** Answers about sessions and users must never be cached by a browser or a proxy. */
export function noStore(): Middleware {
  return async (ctx, next) => {
    await next();
    ctx.set('Cache-Control', 'no-store');
  };
}
