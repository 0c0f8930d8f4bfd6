import type { Context } from 'koa';
import { sendToReauthentication } from '../../account/reauthenticate.ts';
import type { Gatehouse } from '../../container.ts';
import { AppError } from '../../errors/app-error.ts';
import { findSignedIn, isRecentSignIn } from '../../http/current-session.ts';
import { inviteCookie } from '../../http/invite-cookie.ts';

type StartDeps = Pick<Gatehouse, 'external' | 'sessions' | 'userManager' | 'invitations' | 'settings'>;

/** POST /account/external/:alias/link — the signed-in user attaches another provider. */
export function startLink(deps: StartDeps) {
  return async (ctx: Context): Promise<void> => {
    const signedIn = await findSignedIn(ctx, deps);
    if (!signedIn) throw AppError.keyed('unauthenticated', 'external.signInToLink');
    if (!isRecentSignIn(signedIn.session, deps.settings.privilegedSessionMaxAgeSeconds))
      return sendToReauthentication(ctx, '/account/linked-logins');
    const provider = await deps.external.registry.require(ctx.params.alias ?? '');
    if (!provider.options.allowManualLinking)
      throw AppError.keyed('invalid_input', 'external.linkingOff', { provider: provider.displayName });
    const url = await deps.external.roundTrip.begin(provider, {
      providerAlias: provider.alias,
      purpose: 'link',
      userId: signedIn.user.id,
    });
    ctx.status = 303;
    ctx.redirect(url.href);
  };
}

/** POST /invite/external/:alias — an invitee accepts by signing in upstream instead of choosing a password. */
export function startInvitationWithProvider(deps: StartDeps) {
  const cookie = inviteCookie(deps.settings.issuer.startsWith('https://'));
  return async (ctx: Context): Promise<void> => {
    const token = cookie.get(ctx);
    if (!token) throw new AppError('token_invalid');
    const invited = await deps.invitations.verify(token);
    const provider = await deps.external.registry.require(ctx.params.alias ?? '');
    const url = await deps.external.roundTrip.begin(provider, {
      providerAlias: provider.alias,
      purpose: 'invite',
      inviteToken: token,
      loginHint: invited.email,
    });
    ctx.status = 303;
    ctx.redirect(url.href);
  };
}
