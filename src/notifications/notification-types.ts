import type { EmailMessage, EmailType } from './email/email-message.ts';

/**
 * Who performed an action: a signed-in user, a machine client (its client_credentials token), or the
 * command line (with the operating-system user who ran it). The audit log records it as
 * `actor_kind`/`actor_id`.
 */
export type Principal =
  | { kind: 'user'; id: string }
  | { kind: 'client'; id: string }
  | { kind: 'cli'; id: string };

/** Who caused something and from where; passed from the HTTP layer down to the services. */
export interface Actor {
  ip?: string | undefined;
  performingUserId?: string | undefined;
  /** Set for administrative callers; a user principal repeats `performingUserId`. */
  performedBy?: Principal | undefined;
}

/** Fields every notification carries. */
export interface NotificationBase {
  at: Date;
  ip?: string | undefined;
  affectedUserId?: string | undefined;
  performingUserId?: string | undefined;
  performedBy?: Principal | undefined;
}

/** `revoked`: the user ended this session from another one (their sessions page). */
export type LogoutReason = 'user' | 'revoked' | 'upstream' | 'admin' | 'credentials';

export type LoginFailureReason =
  | 'unknown_user'
  | 'wrong_password'
  | 'locked'
  | 'disabled'
  | 'not_approved'
  | 'refused'
  /** Signed in, but the application is limited to groups the user is not in. */
  | 'application_denied';

/**
 * The payload of each notification, by name (docs/extending.md's table). Handlers may change the fields
 * of decision notifications (marked in DECISION_NOTIFICATIONS); the rest are announcements.
 */
export interface NotificationPayloads {
  UserLoginSuccess: { method: 'password' | 'external'; providerAlias?: string | undefined };
  UserLoginFailed: { reason: LoginFailureReason; email?: string | undefined };
  UserLoginRequiresVerification: Record<never, never>;
  UserTwoFactorRequested: { provider: string };
  UserTwoFactorEnabled: { provider: string };
  UserTwoFactorDisabled: Record<never, never>;
  /** An admin removed the user's second factors. */
  UserTwoFactorReset: Record<never, never>;
  UserRecoveryCodeUsed: { remaining: number };
  UserRecoveryCodesRegenerated: Record<never, never>;
  UserLocked: Record<never, never>;
  UserUnlocked: Record<never, never>;
  UserResetAccessFailedCount: Record<never, never>;
  /**
   * Handlers may set, change or clear `signOutRedirectUrl` (federated logout); the default handler
   * fills it with the upstream's end-session URL when the session came from an upstream provider.
   */
  UserLogoutSuccess: {
    signOutRedirectUrl: string | undefined;
    /**
     * Why the session ended: the user signed out (`user`, through Gatehouse or an application) or
     * ended it from another session (`revoked`), the upstream signed them out, an administrator
     * ended it, or their credentials changed.
     * Only the first has a browser waiting for `signOutRedirectUrl`.
     */
    readonly reason: LogoutReason;
    /** The Gatehouse session that ended. */
    readonly sessionUid: string | undefined;
    /** Where the browser goes once everything is signed out (the application's post-logout URI). */
    readonly returnTo: string | undefined;
  };
  UserPasswordChanged: Record<never, never>;
  UserPasswordReset: Record<never, never>;
  UserForgotPasswordRequested: Record<never, never>;
  UserForgotPasswordChanged: Record<never, never>;
  UserInvited: Record<never, never>;
  UserInviteAccepted: Record<never, never>;
  /**
   * Before an upstream identity is linked to an existing user or a new user is created from it.
   * Handlers may edit `user` (for a new user) or call `refuse(reason)`.
   */
  ExternalLoginAutoLinking: {
    providerAlias: string;
    claims: Record<string, unknown>;
    existingUserId: string | undefined;
    user: { email: string; name: string; groups: string[] };
    readonly refusedReason: string | undefined;
    refuse(reason: string): void;
  };
  /** Every external sign-in, after the account is resolved; handlers may `refuse(reason)`. */
  ExternalLogin: {
    providerAlias: string;
    claims: Record<string, unknown>;
    readonly refusedReason: string | undefined;
    refuse(reason: string): void;
  };
  ExternalLoginLinked: { providerAlias: string };
  /**
   * An application limited to groups (`allowed_groups`) turned the user away: at sign-in, when an
   * existing session was about to be used for it, or at its token endpoint (refresh).
   */
  ApplicationAccessDenied: { clientId: string; stage: 'sign-in' | 'authorization' | 'token' };
  /** Someone signed in at /break-glass, past DenyLocalLogin: loud on purpose. */
  BreakGlassSignIn: { group: string };
  ExternalLoginUnlinked: { providerAlias: string };
  /** `handleEmail()` marks it handled so Gatehouse does not send the message itself. */
  SendEmailNotification: {
    emailType: EmailType;
    message: EmailMessage;
    readonly handled: boolean;
    handleEmail(): void;
  };
}

export type NotificationType = keyof NotificationPayloads;
export type Notification<K extends NotificationType> = NotificationBase &
  NotificationPayloads[K] & { type: K };

/**
 * Notifications whose handlers take part in a decision: an exception in one of their handlers
 * stops the flow instead of being logged and ignored.
 */
export const DECISION_NOTIFICATIONS: ReadonlySet<NotificationType> = new Set([
  'UserLogoutSuccess',
  'SendEmailNotification',
  'ExternalLoginAutoLinking',
  'ExternalLogin',
]);
