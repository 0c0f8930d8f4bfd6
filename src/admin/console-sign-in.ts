import { createHash, randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import type { Gatehouse } from '../container.ts';
import { AppError } from '../errors/app-error.ts';
import { findSignedIn, type SignedIn } from '../http/current-session.ts';
import { signedCookie } from '../http/signed-cookie.ts';
import { CONSOLE_CALLBACK_PATH, CONSOLE_CLIENT_ID } from '../oidc/console-client.ts';
import { ADMIN_GROUP } from '../users/user.ts';

export type ConsoleDeps = Pick<Gatehouse, 'settings' | 'host' | 'sessions' | 'userManager'>;

const SIGN_IN_COOKIE_MS = 15 * 60 * 1000;

interface PendingSignIn {
  state: string;
  verifier: string;
  returnTo: string;
}

/** Only a path on this server: an absolute or protocol-relative URL would make an open redirect. */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\')) {
    return '/';
  }
  return value.slice(0, 2048);
}

/** Where a page sends someone who has to sign in (again, when `fresh`) before coming back. */
export function signInUrl(returnTo: string, options: { fresh?: boolean } = {}): string {
  const query = new URLSearchParams({ returnTo: safeReturnTo(returnTo) });
  if (options.fresh) query.set('fresh', '1');
  return `/console/sign-in?${query}`;
}

/**
 * Guards a page of /account or /admin: whoever is not signed in is sent through a normal OIDC
 * sign-in with the console client and comes back to the page; `admin` pages answer 403 to anyone
 * outside the admin group.
 */
export function consolePage(deps: ConsoleDeps, options: { admin: boolean }): Middleware {
  return async (ctx: Context, next: Next) => {
    const signedIn = await findSignedIn(ctx, deps);
    if (!signedIn) {
      if (ctx.method !== 'GET') throw new AppError('unauthenticated');
      return ctx.redirect(signInUrl(ctx.originalUrl));
    }
    if (options.admin && !signedIn.user.groups.includes(ADMIN_GROUP)) {
      throw AppError.keyed('forbidden', 'admin.refused.consoleMembersOnly');
    }
    ctx.state.signedIn = signedIn;
    await deps.sessions.touch(ctx, signedIn.session);
    await next();
  };
}

export function signedInOf(ctx: Context): SignedIn {
  return ctx.state.signedIn as SignedIn;
}

/**
 * `/console/sign-in` starts the authorization code flow with PKCE at Gatehouse itself;
 * `/console/callback` checks state and the code (client, redirect URI, PKCE verifier, account)
 * and redeems it, then returns to the page asked for. `/` sends people where they belong.
 */
export function consoleSignInRouter(deps: ConsoleDeps): Router {
  const router = new Router();
  const cookie = signedCookie('gh_console_signin', deps.settings.issuer.startsWith('https://'));
  const redirectUri = `${deps.settings.issuer}${CONSOLE_CALLBACK_PATH}`;

  router.get('/', async (ctx) => {
    const signedIn = await findSignedIn(ctx, deps);
    if (!signedIn) return ctx.redirect(signInUrl('/'));
    ctx.redirect(signedIn.user.groups.includes(ADMIN_GROUP) ? '/admin' : '/account');
  });

  router.get('/console/sign-in', (ctx) => {
    const pending: PendingSignIn = {
      state: randomBytes(24).toString('base64url'),
      verifier: randomBytes(32).toString('base64url'),
      returnTo: safeReturnTo(ctx.query.returnTo),
    };
    cookie.set(ctx, JSON.stringify(pending), SIGN_IN_COOKIE_MS);
    const query = new URLSearchParams({
      client_id: CONSOLE_CLIENT_ID,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: redirectUri,
      state: pending.state,
      code_challenge: challengeOf(pending.verifier),
      code_challenge_method: 'S256',
    });
    // A sensitive action asks for the password (and second factor) again.
    if (ctx.query.fresh === '1') query.set('prompt', 'login');
    ctx.redirect(`/auth?${query}`);
  });

  router.get(CONSOLE_CALLBACK_PATH, async (ctx) => {
    const pending = readPending(cookie.get(ctx));
    cookie.clear(ctx);
    if (!pending || ctx.query.state !== pending.state) {
      throw AppError.keyed('invalid_input', 'admin.refused.consoleSignInExpired');
    }
    if (typeof ctx.query.error === 'string') {
      const description = typeof ctx.query.error_description === 'string' ? ctx.query.error_description : '';
      throw AppError.keyed('invalid_input', 'admin.refused.consoleSignInIncomplete', {
        reason: String(description || ctx.query.error),
      });
    }
    await redeem(ctx, deps, String(ctx.query.code ?? ''), pending, redirectUri);
    ctx.redirect(pending.returnTo);
  });
  return router;
}

function challengeOf(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

function readPending(raw: string | undefined): PendingSignIn | undefined {
  if (!raw) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<PendingSignIn>;
    if (typeof value.state !== 'string' || typeof value.verifier !== 'string') return undefined;
    return { state: value.state, verifier: value.verifier, returnTo: safeReturnTo(value.returnTo) };
  } catch {
    return undefined;
  }
}

/**
 * Redeems the code in-process, with the checks the token endpoint makes for a public client: the
 * same client and redirect URI, the PKCE verifier, not used before; and the code's account must be
 * the one signed in on this browser. The console needs no tokens: the Gatehouse session is its
 * session, so the redeemed code's only use is proving this browser completed the flow.
 */
async function redeem(
  ctx: Context,
  deps: ConsoleDeps,
  value: string,
  pending: PendingSignIn,
  redirectUri: string,
): Promise<void> {
  const refused = AppError.keyed('invalid_input', 'admin.refused.consoleSignInFailed');
  if (!/^[\w-]{20,128}$/.test(value)) throw refused;
  const code = await deps.host.provider.AuthorizationCode.find(value);
  if (
    !code ||
    // The adapter sets `consumed` on a code already redeemed; the model's type does not declare it.
    (code as unknown as { consumed?: unknown }).consumed ||
    code.clientId !== CONSOLE_CLIENT_ID ||
    code.redirectUri !== redirectUri ||
    code.codeChallengeMethod !== 'S256' ||
    code.codeChallenge !== challengeOf(pending.verifier)
  ) {
    throw refused;
  }
  await code.consume();
  const session = await deps.sessions.current(ctx);
  if (!session || session.accountId !== code.accountId) throw refused;
}
