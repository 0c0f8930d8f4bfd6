import type { Context, Middleware } from 'koa';
import type { RequestGate } from '../oidc/adapter-unit-of-work.ts';
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
 * Reading the client from the form means reading the body ahead of oidc-provider; the very bytes are
 * then handed back to it as a request stream not yet read (`replayBody`), so it parses them as it
 * would have (its fallback for a body read upstream works too, but warns on every process).
 *
 * The count costs no round trip of its own (issue 15's budget: one statement per client_credentials
 * token): it is a gate of the request's one write statement (`clientLimitGate`, AdapterUnitOfWork),
 * whose every write is conditional on it. Refused there, nothing was written and the answer
 * oidc-provider prepared is replaced by the 429. A client this node was just told is over its limit
 * is refused at once, without running the request, until the Retry-After it got (the attempt is
 * still counted, on its own statement, so every node keeps refusing).
 *
 * The count is spread over a few rows per client (RATE_LIMIT_SHARDS in rate-limits/policies.ts):
 * with one row, every token request of a client waited for the one before it to commit. The
 * verdict sums the rows without locking them, so parallel requests may overshoot the limit by at
 * most the number of the client's requests in flight at once; one at a time, it is exact.
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
    const subject = `${ctx.path} ${clientId === undefined ? `ip:${ctx.ip}` : `client:${clientId}`}`;
    try {
      if (!(await countedAlone(ctx, limits, subject))) {
        const gate = limits.gate('TOKEN_ENDPOINT_PER_CLIENT', subject, ctx.ip);
        if (gate) gates.set(ctx, gate);
      }
      await next();
    } catch (error) {
      if (!(error instanceof RateLimitedError)) throw error;
      ctx.set('Retry-After', String(error.retryAfterSeconds));
      refuse(ctx, 429, 'rate_limited', 'too many requests for this client; retry later');
    }
  };
}

const gates = new WeakMap<Context, RequestGate>();

/** The request's limit as a gate of its write statement (see clientEndpointLimit). */
export function clientLimitGate(ctx: Context): RequestGate | undefined {
  return gates.get(ctx);
}

/**
 * Only for a client this node recently refused: counts the attempt in a statement of its own, which
 * throws while the client is still over its limit. True when it was counted here.
 */
async function countedAlone(ctx: Context, limits: RateLimits, subject: string): Promise<boolean> {
  if (limits.refusedHere('TOKEN_ENDPOINT_PER_CLIENT', subject) === undefined) return false;
  try {
    await limits.consume('TOKEN_ENDPOINT_PER_CLIENT', subject, ctx.ip);
    return true;
  } catch (error) {
    if (error instanceof RateLimitedError) throw error;
    // Any other failure (the database away) is the provider's to answer, in the token endpoint's
    // shape: it meets the same failure at once, and providerOutage makes that a 503.
    return true;
  }
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
  const body = Buffer.concat(chunks, received);
  replayBody(ctx, body);
  return new URLSearchParams(body.toString('utf8'));
}

/**
 * Makes the request read as if untouched: oidc-provider reads a body only from a request that is
 * still `readable`, through `iterator()`. Both are set on this one request object, nothing else.
 */
function replayBody(ctx: Context, body: Buffer): void {
  Object.defineProperty(ctx.req, 'readable', { value: true, configurable: true });
  Object.defineProperty(ctx.req, 'iterator', {
    configurable: true,
    value: async function* replay(): AsyncGenerator<Buffer> {
      yield body;
    },
  });
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
