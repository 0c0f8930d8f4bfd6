import type { ExternalLoginService, UpstreamIdentity } from '../external-logins/external-login-service.ts';
import type { ExternalProvider } from '../external-logins/external-provider.ts';
import type { Wording } from '../i18n/wording.ts';
import type { NotificationBus } from '../notifications/notification-bus.ts';
import type { Actor, LoginFailureReason } from '../notifications/notification-types.ts';
import type { InvitationService } from '../users/invitations.ts';
import type { TwoFactorService } from '../users/two-factor/two-factor-service.ts';
import type { User } from '../users/user.ts';
import type { UserManager } from '../users/user-manager.ts';
import type { AuthenticationLevel, CompletedFactor } from './factors.ts';

/** An upstream identity to attach to the account once the sign-in completes. Plain data. */
export interface PendingLink {
  providerAlias: string;
  identity: UpstreamIdentity;
}

/** An invitee completing their invitation with this sign-in (by password or upstream). */
export interface InvitationClaim {
  /** The invitation token this sign-in carries (the form's cookie, or the upstream round trip's state). */
  token: string;
  /** The invitation cookie of the browser finishing the sign-in: the same browser must finish it. */
  browserToken: string | undefined;
  /** The password the invitee chose, when accepting by password. */
  password?: string | undefined;
}

export interface SignInContext {
  actor: Actor;
  /** The application asked for two factors (`acr_values=2`). */
  twoFactorDemanded?: boolean;
  /** What the upstream said, on the first pass of an upstream sign-in (for `ExternalLogin`). */
  upstream?: { provider: ExternalProvider; identity: UpstreamIdentity } | undefined;
  invitation?: InvitationClaim | undefined;
  /**
   * The sign-in started at /break-glass: a password is accepted under DenyLocalLogin, but only from
   * a member of this group, and only with a second factor they already have.
   */
  breakGlass?: { group: string } | undefined;
  /** The application the sign-in is for, with the groups it is limited to (empty: everyone). */
  application?: { clientId: string; allowedGroups: readonly string[] } | undefined;
  /**
   * The account's owner proved this account is theirs to link an upstream identity to it
   * (confirm-link): the link is made by the pipeline's last step, only when the sign-in completes.
   */
  link?: PendingLink | undefined;
  /**
   * The user is signed in already, recently enough for a credential change (the account page's
   * "Link"): the upstream round trip adds a way in to that session, whose own factors stand.
   */
  withinRecentSession?: boolean;
  /**
   * The last factor was an access attempt that is still counted (`UserManager.attemptAccess`):
   * the pipeline resets the count when the sign-in completes and releases the attempt when it
   * stops at another step. `current`: `user` is as that attempt read it, not to be read again.
   */
  attempt?: { reserved: true; current: boolean } | undefined;
}

export type SignInOutcome =
  | ({ status: 'complete'; user: User } & AuthenticationLevel)
  | { status: 'second_factor'; user: User; mode: 'verify' | 'enrol'; factors: CompletedFactor[] }
  /** Why, in English (`message`) and as a catalogue entry for pages when it has one. */
  | ({ status: 'refused'; reason: LoginFailureReason } & Wording);

export type RefusedSignIn = Extract<SignInOutcome, { status: 'refused' }>;

/** One sign-in as the steps see it; a step may replace the user (an accepted invitee is active). */
export interface SignInAttempt {
  user: User;
  factors: CompletedFactor[];
  context: SignInContext;
}

export interface SignInPipelineDeps {
  userManager: UserManager;
  twoFactor: TwoFactorService;
  invitations: InvitationService;
  external: ExternalLoginService;
  notifications: NotificationBus;
}

/** One named rule of the sign-in pipeline: nothing to say (go on), or how the sign-in stops. */
export interface SignInStep {
  readonly name: string;
  run(attempt: SignInAttempt, deps: SignInPipelineDeps): Promise<SignInOutcome | undefined>;
}

/** How a step stops the sign-in: `reason` for the audit, `w` for the person signing in. */
export function refused(reason: LoginFailureReason, w: Wording): RefusedSignIn {
  return {
    status: 'refused',
    reason,
    message: w.message,
    messageKey: w.messageKey,
    messageValues: w.messageValues,
  };
}
