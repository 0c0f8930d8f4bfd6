import type { Context } from 'koa';
import type { Session } from 'oidc-provider';
import type { SessionService } from '../oidc/session-service.ts';
import type { SignInOutcome } from '../sign-in/sign-in-pipeline.ts';

/**
 * Signs this browser in outside an OIDC interaction (the JSON API, invitations) once the sign-in
 * pipeline said the sign-in is complete, with the `amr`/`acr` it derived.
 */
export function startBrowserSession(
  ctx: Context,
  sessions: Pick<SessionService, 'signIn'>,
  outcome: Extract<SignInOutcome, { status: 'complete' }>,
  remember: boolean,
): Promise<Session> {
  return sessions.signIn(ctx, { accountId: outcome.user.id, amr: outcome.amr, acr: outcome.acr, remember });
}
