import type { Context } from 'koa';
import type { Session } from 'oidc-provider';
import { AppError } from '../errors/app-error.ts';
import type { User } from '../users/user.ts';
import type { UserManager } from '../users/user-manager.ts';

/** What finding the signed-in user needs: the session cookie and the account behind it. */
export interface SignedInDeps {
  sessions: Pick<SessionService, 'current'>;
  userManager: Pick<UserManager, 'findById'>;
}

import type { SessionService } from '../oidc/session-service.ts';

export interface SignedIn {
  session: Session;
  user: User;
}

/** The signed-in, active user of this browser's Gatehouse session, or undefined. */
export async function findSignedIn(ctx: Context, deps: SignedInDeps): Promise<SignedIn | undefined> {
  const session = await deps.sessions.current(ctx);
  if (!session?.accountId) return undefined;
  const user = await deps.userManager.findById(session.accountId);
  if (user?.status !== 'active') return undefined;
  return { session, user };
}

export async function requireSignedIn(ctx: Context, deps: SignedInDeps): Promise<SignedIn> {
  const signedIn = await findSignedIn(ctx, deps);
  if (!signedIn) throw new AppError('unauthenticated');
  return signedIn;
}

/**
 * Kratos's privileged session, one rule for the account pages, the JSON API and the admin console:
 * the session's sign-in (password, second factor or upstream, through the sign-in pipeline)
 * happened at most `maxAgeSeconds` ago.
 */
export function isRecentSignIn(
  session: Pick<Session, 'loginTs'>,
  maxAgeSeconds: number,
  now = Date.now(),
): boolean {
  const loginTs = session.loginTs;
  return loginTs !== undefined && Math.floor(now / 1000) - loginTs <= maxAgeSeconds;
}

/**
 * Credential changes that re-enter no factor (turning two-factor methods on, new recovery codes,
 * linking and unlinking) need a recent sign-in, as Kratos's privileged session: a session left
 * open on a shared computer cannot take over the account. Pages send a stale session to sign in
 * again (`account/reauthenticate.ts`); the JSON API answers 403 `reauthentication_required`.
 */
export function requireRecentSignIn(signedIn: SignedIn, maxAgeSeconds: number): void {
  if (!isRecentSignIn(signedIn.session, maxAgeSeconds)) throw new AppError('reauthentication_required');
}
