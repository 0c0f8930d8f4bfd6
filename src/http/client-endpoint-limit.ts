import type { Context, Middleware } from 'koa';
import { RateLimitedError, type RateLimits } from '../rate-limits/rate-limits.ts';

/**
 * oidc-provider's endpoints where a client authenticates and asks for something: tokens, a pushed
 * authorization request, a device code. Introspection and revocation are left out on purpose: they
 * sit on resource servers' hot path, whose budget is one database round trip (bench/README.md), and
 * their answer to a guessed secret is the same 401 as everywhere (a generated secret has 256 bits).
 */
const CLIENT_AUTH_PATHS = new Set(['/token', '/request', '/device/auth']);

/** oidc-provider reads at most 56 kB of a form; nothing bigger is a request it would answer. */
const MAX_FORM_BYTES = 56 * 1024;

/**
 * TOKEN_ENDPOINT_PER_CLIENT on every endpoint where a client authenticates, counted per client and
 * endpoint, whichever way the client identifies itself: HTTP Basic, `client_id` in the form
 * (client_secret_post, public clients, assertions that name it) or an assertion's subject. A request
 * naming no client is counted by its address. The client is not authenticated yet: a guesser
 * spends the named client's allowance, which is the point.
 *
 * Reading the client from the form means reading the body ahead of oidc-provider; it gets the very
 * bytes, as text, and parses them itself (its documented fallback for a body read upstream).
 */
export function clientEndpointLimit(limits: RateLimits): Middleware {
  return async (ctx, next) => {
    if (ctx.method !== 'POST' || !CLIENT_AUTH_PATHS.has(ctx.path)) return next();
    let clientId = basicClientId(ctx.get('authorization'));
    if (clientId === undefined && ctx.is('application/x-www-form-urlencoded')) {
      const form = await readForm(ctx);
      if (!form) return refuse(ctx, 400, 'invalid_request', 'the request body could not be read');
      clientId = formClientId(form);
    }
    try {
      const subject = clientId === undefined ? `ip:${ctx.ip}` : `client:${clientId}`;
      await limits.consume('TOKEN_ENDPOINT_PER_CLIENT', `${ctx.path} ${subject}`, ctx.ip);
    } catch (error) {
      // Any other failure (the database away) is the provider's to answer, in the token endpoint's
      // shape: it meets the same failure at once, and providerOutage makes that a 503.
      if (!(error instanceof RateLimitedError)) return next();
      ctx.set('Retry-After', String(error.retryAfterSeconds));
      return refuse(ctx, 429, 'rate_limited', 'too many requests for this client; retry later');
    }
    await next();
  };
}

/** The token endpoint's own error shape (RFC 6749 §5.2). */
function refuse(ctx: Context, status: number, error: string, description: string): void {
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error, error_description: description };
}

/** The body as text (handed on to oidc-provider), parsed; undefined when too big or cut short. */
async function readForm(ctx: Context): Promise<URLSearchParams | undefined> {
  const chunks: Buffer[] = [];
  let received = 0;
  try {
    for await (const chunk of ctx.req) {
      received += (chunk as Buffer).length;
      if (received > MAX_FORM_BYTES) return undefined;
      chunks.push(chunk as Buffer);
    }
  } catch {
    return undefined;
  }
  const text = Buffer.concat(chunks, received).toString('utf8');
  ctx.request.body = text;
  return new URLSearchParams(text);
}

function formClientId(form: URLSearchParams): string | undefined {
  const named = form.get('client_id');
  if (named) return named;
  const assertion = form.get('client_assertion');
  return assertion ? assertionSubject(assertion) : undefined;
}

/** The `sub` of a client assertion, unverified: it only says whose allowance the request spends. */
function assertionSubject(jwt: string): string | undefined {
  const payload = jwt.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const sub = claims && typeof claims === 'object' ? (claims as { sub?: unknown }).sub : undefined;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

function basicClientId(authorization: string): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  try {
    return decodeURIComponent(decoded.slice(0, colon).replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}
