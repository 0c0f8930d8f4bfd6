import { timingSafeEqual } from 'node:crypto';
import { type Wording, wording } from '../i18n/wording.ts';
import type { OpenInvitation } from '../users/invitations.ts';
import { applicationAccess } from './application-access.ts';
import { isSecondFactor, upstreamOf } from './factors.ts';
import { localLogin } from './local-login.ts';
import { refused, type SignInAttempt, type SignInStep } from './types.ts';

/** Disabled, locked, or invited without completing the invitation: no sign-in, by any way in. */
export const accountState: SignInStep = {
  name: 'account-state',
  async run({ user, context }, deps) {
    if (user.status === 'disabled') return refused('disabled', wording('signIn.refused.disabled'));
    if (user.status === 'invited' && !context.invitation) {
      return refused('not_approved', wording('signIn.refused.notApproved'));
    }
    if (deps.userManager.isLockedOut(user)) return refused('locked', wording('signIn.refused.locked'));
    return undefined;
  },
};

/** Umbraco's OnExternalLogin: every upstream sign-in asks the `ExternalLogin` handlers first. */
export const externalLoginDecision: SignInStep = {
  name: 'external-login',
  async run({ user, context }, deps) {
    if (!context.upstream) return undefined;
    const { provider, identity } = context.upstream;
    let refusedReason: string | undefined;
    await deps.notifications.publish(
      'ExternalLogin',
      { affectedUserId: user.id, actor: context.actor },
      {
        providerAlias: provider.alias,
        claims: identity.claims,
        get refusedReason() {
          return refusedReason;
        },
        refuse(reason: string) {
          refusedReason = reason;
        },
      },
    );
    // A handler's own reason is shown as it wrote it.
    return refusedReason ? refused('refused', { message: refusedReason }) : undefined;
  },
};

/**
 * An invitation is completed by the browser that opened the link, for the invited account, and,
 * upstream, by an identity with the invited address (unless the administrator allowed another;
 * verified, when the provider demands it) in an allowed domain. Then the invitee is approved (and the upstream identity linked).
 */
export const invitation: SignInStep = {
  name: 'invitation',
  async run(attempt, deps) {
    const claim = attempt.context.invitation;
    if (!claim) return undefined;
    if (!claim.browserToken || !sameToken(claim.browserToken, claim.token)) {
      return refused('refused', wording('signIn.refused.otherBrowser'));
    }
    const invitation = await deps.invitations.open(claim.token).catch(() => undefined);
    if (invitation?.user.id !== attempt.user.id)
      return refused('refused', wording('error.code.token_invalid'));
    const upstream = attempt.context.upstream;
    const problem = upstream ? upstreamInvitationProblem(invitation, upstream) : undefined;
    if (problem) return refused('refused', problem);
    attempt.user = upstream
      ? await deps.external.acceptInvitation(
          claim.token,
          upstream.provider,
          upstream.identity,
          attempt.context.actor,
        )
      : await deps.invitations.accept(claim.token, {
          password: claim.password,
          actor: attempt.context.actor,
        });
    return undefined;
  },
};

function upstreamInvitationProblem(
  { user: invited, allowOtherEmail }: OpenInvitation,
  { provider, identity }: NonNullable<SignInAttempt['context']['upstream']>,
): Wording | undefined {
  const email = identity.email?.trim().toLowerCase() ?? '';
  // The addresses must match unless the administrator who invited chose otherwise.
  if (!allowOtherEmail && email !== invited.email.trim().toLowerCase()) {
    return wording('signIn.refused.invitedOtherEmail', {
      provider: provider.displayName,
      email: invited.email,
    });
  }
  if (provider.options.autoLink.requireVerifiedEmail && !identity.emailVerified) {
    return wording('signIn.refused.emailUnverified', { provider: provider.displayName });
  }
  const allowed = provider.options.autoLink.allowedEmailDomains.map((d) => d.toLowerCase());
  const domain = email.split('@')[1] ?? '';
  if (allowed.length && !allowed.includes(domain))
    return wording('signIn.refused.domainNotAllowed', { domain });
  return undefined;
}

function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * The second factor: asked for when the account has one, must be enrolled when the user's group
 * or the application (`acr_values=2`) demands one, and skipped only for an upstream trusted to
 * have done it (`bypassTwoFactor`).
 */
export const secondFactor: SignInStep = {
  name: 'second-factor',
  async run({ user, factors, context }, deps) {
    if (factors.some(isSecondFactor) || context.withinRecentSession) return undefined;
    if (upstreamOf(factors)?.bypassTwoFactor) return undefined;
    const mode = await deps.twoFactor.requirement(user, { forced: context.twoFactorDemanded });
    if (mode === 'none') return undefined;
    await deps.notifications.publish(
      'UserLoginRequiresVerification',
      { affectedUserId: user.id, actor: context.actor },
      {},
    );
    return { status: 'second_factor', user, mode, factors };
  },
};

/**
 * Linking an upstream identity onto an existing account (its owner proved it with the account's
 * password, then the usual second factor): made last, so a sign-in that any step stops, or that
 * is abandoned at the second factor, leaves no link behind. The upstream's groups are mapped then.
 */
export const link: SignInStep = {
  name: 'link',
  async run(attempt, deps) {
    const pending = attempt.context.link;
    if (!pending) return undefined;
    const linked = await deps.external.completeLink(
      attempt.user,
      pending.providerAlias,
      pending.identity,
      attempt.context.actor,
    );
    if (!linked.ok) return refused('refused', linked);
    attempt.user = linked.user;
    return undefined;
  },
};

/**
 * In this order: who may sign in at all, then what upstream handlers say, then the invitation,
 * then 2FA, then the link that only a complete sign-in may make, then whether the application
 * admits the user: only someone who gave every factor learns that, and groups the link mapped count
 * (the link stands: its owner proved it).
 */
export const DEFAULT_STEPS: SignInStep[] = [
  accountState,
  localLogin,
  externalLoginDecision,
  invitation,
  secondFactor,
  link,
  applicationAccess,
];
