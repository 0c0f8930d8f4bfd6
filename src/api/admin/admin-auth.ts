import type { Context, Middleware, Next } from 'koa';
import { AppError } from '../../errors/app-error.ts';
import { actorOf } from '../../http/actor.ts';
import { isSafeMethod } from '../../http/csrf.ts';
import { findSignedIn, requireRecentSignIn } from '../../http/current-session.ts';
import type { AdminActor } from '../../notifications/admin-audit.ts';
import type { Principal } from '../../notifications/notification-types.ts';
import { ADMIN_GROUP } from '../../users/user.ts';
import type { AdminApiDeps } from './admin-api-deps.ts';

/** The scope a client_credentials client must be registered with (and request) to use this API. */
export const ADMIN_SCOPE = 'gatehouse:admin';

/** Who is calling: a signed-in administrator, or a machine client holding an admin token. */
export type AdminPrincipal = { kind: 'user'; userId: string } | { kind: 'client'; clientId: string };

// oidc-provider's opaque token values are base64url; anything else cannot be one, and is not worth
// a database round trip.
const OPAQUE_TOKEN = /^[\w-]{20,128}$/;

/**
 * Authenticates the admin API. With `Authorization: Bearer`, only that token counts: the browser's
 * cookies are ignored, so no CSRF check is needed. Without it, the Gatehouse browser session of an
 * active `admin` user is accepted; state-changing calls must carry the CSRF token and come from a
 * sign-in no older than PRIVILEGED_SESSION_MAX_AGE_SECONDS (403 `reauthentication_required`).
 */
export function adminAuthentication(deps: AdminApiDeps, csrf: Middleware): Middleware {
  return async (ctx: Context, next: Next) => {
    const authorization = ctx.get('authorization');
    if (authorization) {
      ctx.state.admin = await bearerPrincipal(ctx, deps, authorization);
      return next();
    }
    ctx.state.admin = await sessionPrincipal(ctx, deps);
    return csrf(ctx, next);
  };
}

async function sessionPrincipal(ctx: Context, deps: AdminApiDeps): Promise<AdminPrincipal> {
  const signedIn = await findSignedIn(ctx, deps);
  if (!signedIn) {
    ctx.set('WWW-Authenticate', 'Bearer realm="gatehouse-admin"');
    throw new AppError('unauthenticated');
  }
  if (!signedIn.user.groups.includes(ADMIN_GROUP)) {
    throw new AppError('forbidden', 'Only members of the admin group may use the admin API.');
  }
  // A change made with a browser session needs a recent sign-in, as in the console: an admin
  // session left open on a shared computer cannot be used to take accounts over.
  if (!isSafeMethod(ctx.method)) requireRecentSignIn(signedIn, deps.settings.privilegedSessionMaxAgeSeconds);
  return { kind: 'user', userId: signedIn.user.id };
}

/**
 * A client_credentials token carrying `gatehouse:admin`. The client is checked again at every call
 * (it still exists, may still use client_credentials, and lists the scope in its registration), so
 * a client without an explicit scope list — which oidc-provider lets request any configured scope —
 * never gets in, and editing or deleting the client takes effect at once.
 */
async function bearerPrincipal(
  ctx: Context,
  deps: AdminApiDeps,
  authorization: string,
): Promise<AdminPrincipal> {
  const [scheme, value, ...rest] = authorization.trim().split(/\s+/);
  if (scheme?.toLowerCase() !== 'bearer' || !value || rest.length || !OPAQUE_TOKEN.test(value)) {
    throw bearerError(ctx, 'invalid_token', 'The Authorization header must be "Bearer <access token>".');
  }
  const provider = deps.host.provider;
  const token = await provider.ClientCredentials.find(value);
  // Tokens bound to a DPoP key or certificate are not bearer tokens; an audience means the token
  // was issued for another resource server.
  if (!token?.clientId || token.isSenderConstrained() || token.aud !== undefined) {
    throw bearerError(ctx, 'invalid_token', 'The access token is not valid or has expired.');
  }
  const client = await provider.Client.find(token.clientId);
  const registered = new Set(client?.scope?.split(' ') ?? []);
  if (
    !client?.grantTypeAllowed('client_credentials') ||
    !registered.has(ADMIN_SCOPE) ||
    !token.scopes.has(ADMIN_SCOPE)
  ) {
    throw bearerError(ctx, 'insufficient_scope', `The access token does not carry the ${ADMIN_SCOPE} scope.`);
  }
  return { kind: 'client', clientId: token.clientId };
}

/** RFC 6750's answer: 401 for a bad token, 403 for a good one without the scope. */
function bearerError(ctx: Context, code: 'invalid_token' | 'insufficient_scope', message: string): AppError {
  ctx.set('WWW-Authenticate', `Bearer realm="gatehouse-admin", error="${code}"`);
  return new AppError(code === 'invalid_token' ? 'unauthenticated' : 'forbidden', message);
}

/** The principal set by `adminAuthentication`. */
export function adminOf(ctx: Context): AdminPrincipal {
  return ctx.state.admin as AdminPrincipal;
}

/** The actor for notifications and the audit log: the admin user, or the machine client. */
export function adminActor(ctx: Context): AdminActor {
  const admin = adminOf(ctx);
  const performedBy: Principal =
    admin.kind === 'user' ? { kind: 'user', id: admin.userId } : { kind: 'client', id: admin.clientId };
  return { ...actorOf(ctx, admin.kind === 'user' ? admin.userId : undefined, performedBy), performedBy };
}
