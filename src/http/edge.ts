import type { Middleware } from 'koa';
import proxyaddr from 'proxy-addr';
import { AppError } from '../errors/app-error.ts';

export interface EdgeOptions {
  /** The issuer URL: the only source of the scheme and host Gatehouse builds URLs and cookies with. */
  issuer: string;
  /** Addresses and CIDR ranges (or proxy-addr's `loopback`, `linklocal`, `uniquelocal`) of proxies. */
  trustedProxies: readonly string[];
}

/**
 * The first thing every request meets. It settles who sent the request and where it was addressed
 * before anything reads them:
 *
 * - the client's IP is the nearest address in the `X-Forwarded-For` chain that is not a trusted
 *   proxy (proxy-addr walks it from the right); with no trusted proxies, the socket's address. A
 *   caller cannot put a made-up address in the audit log or dodge a rate limit by sending the header;
 * - scheme and host come from the issuer, never from `Host` or `X-Forwarded-Host`/`-Proto`, so
 *   discovery and redirects cannot be pointed elsewhere, and cookies are `Secure` under an https
 *   issuer even when the TLS terminator in front talks plain http (Koa used to throw, a 500, when
 *   asked for a secure cookie on an insecure connection);
 * - a URL whose path or query decodes to U+0000 or is not valid UTF-8 is refused with a 400: no
 *   route can store or look up such text (PostgreSQL rejects 0x00), so none should see it.
 */
export function requestEdge(options: EdgeOptions): Middleware {
  const trust = proxyaddr.compile([...options.trustedProxies]);
  const issuer = new URL(options.issuer);
  const protocol = issuer.protocol.slice(0, -1);
  return async (ctx, next) => {
    // Koa's request getters are shared by every request; these own properties shadow them for this one.
    Object.defineProperties(ctx.request, {
      protocol: { value: protocol },
      secure: { value: protocol === 'https' },
      host: { value: issuer.host },
      hostname: { value: issuer.hostname },
      // oidc-provider builds every endpoint URL from href; an absolute-form target
      // (`GET http://evil.example/…`) would otherwise become the base.
      href: { get: () => issuer.origin + pathAndQuery(ctx.originalUrl) },
    });
    ctx.request.ip = proxyaddr(ctx.req, trust);
    await next();
  };
}

/** The URL half of the edge; runs after the security headers so that its 400 carries them too. */
export const refuseUncleanUrls: Middleware = async (ctx, next) => {
  if (!isCleanUrl(ctx.originalUrl)) {
    throw AppError.keyed('invalid_input', 'error.unstorableAddress');
  }
  await next();
};

/** True when every percent-escape of the path and query decodes to valid UTF-8 without U+0000. */
export function isCleanUrl(url: string): boolean {
  if (url.includes('\0')) return false;
  const [path = '', query = ''] = splitOnce(url, '?');
  for (const part of [path, ...query.split('&')]) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(part.replaceAll('+', ' '));
    } catch {
      return false;
    }
    if (decoded.includes('\0')) return false;
  }
  return true;
}

function pathAndQuery(url: string): string {
  if (url.startsWith('/')) return url;
  const parsed = URL.parse(url);
  return parsed ? parsed.pathname + parsed.search : '/';
}

function splitOnce(value: string, separator: string): [string, string] {
  const at = value.indexOf(separator);
  return at < 0 ? [value, ''] : [value.slice(0, at), value.slice(at + 1)];
}
