import type { Settings } from '../config/settings.ts';
import { deriveKey } from '../crypto/secret-box.ts';
import type { ExternalLogins } from '../external-logins/external-logins.ts';
import type { EmailSender } from '../notifications/email/email-message.ts';
import { createOutboxSender, createSmtpSender } from '../notifications/email/email-senders.ts';
import { EmailService } from '../notifications/email/email-service.ts';
import { OutboxStore } from '../notifications/email/outbox-store.ts';
import type { NotificationBus } from '../notifications/notification-bus.ts';
import type { Logger } from '../operations/logger.ts';
import { createRateLimitStore } from '../rate-limits/rate-limit-store.ts';
import { RateLimits } from '../rate-limits/rate-limits.ts';
import { SignInPipeline } from '../sign-in/sign-in-pipeline.ts';
import { InvitationService } from '../users/invitations.ts';
import type { OneTimeTokenStore } from '../users/one-time-token-store.ts';
import { createPasswordHasher } from '../users/password-hasher.ts';
import { PasswordResetService } from '../users/password-reset.ts';
import { SignInManager } from '../users/sign-in-manager.ts';
import { TwoFactorService } from '../users/two-factor/two-factor-service.ts';
import { TwoFactorStore } from '../users/two-factor/two-factor-store.ts';
import { UserManager, type UserManagerDeps } from '../users/user-manager.ts';
import type { Foundation } from './foundation.ts';
import type { ProviderParts } from './provider-wiring.ts';

/** What the invitation, password-reset and two-factor services are each given. */
export interface FlowDeps {
  userManager: UserManager;
  tokens: OneTimeTokenStore;
  email: EmailService;
  notifications: NotificationBus;
  issuer: string;
}

/** The user manager (an extension's, when it set one) and the services every account flow shares. */
export interface AccountParts {
  userManager: UserManager;
  email: EmailService;
  flowDeps: FlowDeps;
  invitations: InvitationService;
  rateLimits: RateLimits;
  twoFactor: TwoFactorService;
}

export function wireAccounts(foundation: Foundation, parts: ProviderParts): AccountParts {
  const { settings, logger, db, builder, notifications } = foundation;
  const userDeps: UserManagerDeps = {
    users: parts.users,
    hasher: createPasswordHasher(),
    notifications,
    sessions: parts.sessions,
    passwords: settings.passwords,
    lockout: settings.lockout,
  };
  const userManager = builder.userManagerFactory?.(userDeps) ?? new UserManager(userDeps);
  const email = new EmailService(
    parts.views,
    notifications,
    builder.emailSender ?? defaultEmailSender(settings, new OutboxStore(db), logger),
  );
  const flowDeps = { userManager, tokens: parts.tokens, email, notifications, issuer: settings.issuer };
  const invitations = new InvitationService({ ...flowDeps, ttlSeconds: settings.inviteTtlSeconds });
  const rateLimits = createRateLimits(foundation);
  const twoFactor = new TwoFactorService({
    ...flowDeps,
    limits: rateLimits,
    store: new TwoFactorStore(db, parts.box),
    recoveryKey: deriveKey(settings.secretKey, 'recovery-codes'),
    issuerName: 'Gatehouse',
    requiredGroups: settings.twoFactorRequiredGroups,
    emailCodeTtlSeconds: 10 * 60,
  });
  return { userManager, email, flowDeps, invitations, rateLimits, twoFactor };
}

/** The services that sign people in and let them back in, over the accounts and the external logins. */
export function signInServices(
  { settings, logger, notifications }: Foundation,
  accounts: AccountParts,
  external: ExternalLogins,
): { signInManager: SignInManager; signIn: SignInPipeline; passwordReset: PasswordResetService } {
  const { userManager, twoFactor, invitations, rateLimits } = accounts;
  return {
    signInManager: new SignInManager(userManager, notifications, rateLimits),
    signIn: new SignInPipeline({
      userManager,
      twoFactor,
      invitations,
      external: external.service,
      notifications,
    }),
    passwordReset: new PasswordResetService({
      ...accounts.flowDeps,
      localLogin: external.registry,
      logger,
      ttlSeconds: settings.passwordResetTtlSeconds,
    }),
  };
}

function defaultEmailSender(settings: Settings, outbox: OutboxStore, logger: Logger): EmailSender {
  return settings.smtpUrl && settings.emailDelivery === 'smtp'
    ? createSmtpSender(settings.smtpUrl, settings.mailFrom)
    : createOutboxSender(outbox, logger);
}

/** Each limit that starts refusing is logged and audited once, not once per refused request. */
function createRateLimits({ db, settings, logger, audit }: Foundation): RateLimits {
  return new RateLimits(createRateLimitStore(db), settings.rateLimits, ({ limit, ip }) => {
    logger.warn({ limit, ip }, 'rate limit reached; refusing with 429');
    audit.write({ type: 'RateLimited', ip, details: { limit } }).catch((err: unknown) => {
      logger.error({ err }, 'could not write the audit event');
    });
  });
}
