import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../../errors/app-error.ts';
import { actorOf } from '../../http/actor.ts';
import { startBrowserSession } from '../../http/browser-session.ts';
import { inviteCookie } from '../../http/invite-cookie.ts';
import { parseBody } from '../../http/validation.ts';
import type { AuthApiDeps } from './auth-api-deps.ts';
import { userJson } from './user-json.ts';

const PARTIAL_SIGN_IN_MS = 60 * 60 * 1000;

const verifyBody = z.object({ token: z.string().min(1, 'The invitation token is missing.').max(256) });
const passwordBody = z.object({ password: z.string().min(1, 'Enter a password.').max(1024) });

/** POST /api/auth/verify-invite: a good link signs the invitee in partially. */
export function verifyInvite(deps: AuthApiDeps) {
  const cookie = inviteCookie(deps.settings.issuer.startsWith('https://'));
  return async (ctx: Context): Promise<void> => {
    const { token } = parseBody(ctx, verifyBody);
    const user = await deps.invitations.verify(token);
    cookie.set(ctx, token, PARTIAL_SIGN_IN_MS);
    ctx.body = userJson(user);
  };
}

/** GET /api/auth/current-invited-user: who the partially signed-in invitee is. */
export function currentInvitedUser(deps: AuthApiDeps) {
  const cookie = inviteCookie(deps.settings.issuer.startsWith('https://'));
  return async (ctx: Context): Promise<void> => {
    const token = cookie.get(ctx);
    if (!token) throw new AppError('unauthenticated', 'Open the link from your invitation email first.');
    ctx.body = userJson(await deps.invitations.verify(token));
  };
}

/** POST /api/auth/set-invited-user-password: sets the password, approves and signs the user in. */
export function setInvitedUserPassword(deps: AuthApiDeps) {
  const cookie = inviteCookie(deps.settings.issuer.startsWith('https://'));
  return async (ctx: Context): Promise<void> => {
    const token = cookie.get(ctx);
    if (!token) throw new AppError('unauthenticated', 'Open the link from your invitation email first.');
    const { password } = parseBody(ctx, passwordBody);
    const invited = await deps.invitations.verify(token);
    // Under DENY_LOCAL_LOGIN_DOMAINS the invitee of such a domain accepts through the upstream only.
    if (await deps.external.registry.denyLocalLoginFor(invited.email))
      throw new AppError('local_login_denied');
    const outcome = await deps.signIn.complete(invited, [{ method: 'pwd' }], {
      actor: actorOf(ctx),
      invitation: { token, browserToken: token, password },
    });
    if (outcome.status === 'refused') throw new AppError('token_invalid');
    cookie.clear(ctx);
    // An invitee who must enrol a second factor does so at their first sign-in on the sign-in page.
    if (outcome.status === 'complete') await startBrowserSession(ctx, deps.sessions, outcome, false);
    ctx.body = {
      ...userJson(outcome.user),
      signedIn: outcome.status === 'complete',
      ...(outcome.status === 'second_factor' ? { twoFactorEnrolmentRequired: true } : {}),
    };
  };
}
