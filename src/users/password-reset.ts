import type { Knex } from 'knex';
import { AppError } from '../errors/app-error.ts';
import type { EmailService } from '../notifications/email/email-service.ts';
import type { NotificationBus } from '../notifications/notification-bus.ts';
import type { Actor } from '../notifications/notification-types.ts';
import type { Logger } from '../operations/logger.ts';
import type { OneTimeTokenStore } from './one-time-token-store.ts';
import { passwordRejected } from './password-policy.ts';
import type { User } from './user.ts';
import { recipientLocale } from './user-locale.ts';
import type { UserManager } from './user-manager.ts';

/** DenyLocalLogin as it applies to one address (everyone, or DENY_LOCAL_LOGIN_DOMAINS). */
export interface LocalLoginForAddress {
  denyLocalLoginFor(email: string): Promise<boolean>;
}

export interface PasswordResetDeps {
  userManager: UserManager;
  localLogin: LocalLoginForAddress;
  tokens: OneTimeTokenStore;
  email: EmailService;
  notifications: NotificationBus;
  logger: Logger;
  issuer: string;
  ttlSeconds: number;
}

/**
 * "Forgot password": the request always looks the same from outside; only known, active users
 * get an email. The link is single use, hashed and short-lived; using it sets the password,
 * unlocks the account and ends every session.
 */
export class PasswordResetService {
  readonly #deps: PasswordResetDeps;

  constructor(deps: PasswordResetDeps) {
    this.#deps = deps;
  }

  /**
   * Does the work in the background and returns at once, so the answer's timing does not tell a
   * known address (an email to render and send) from an unknown one.
   */
  request(email: string, actor?: Actor): void {
    this.#send(email, actor).catch((err: unknown) =>
      this.#deps.logger.error({ err }, 'password reset email failed'),
    );
  }

  /** For tests and the CLI: the same work, awaited. */
  async requestAndWait(email: string, actor?: Actor): Promise<void> {
    await this.#send(email, actor);
  }

  async verify(token: string): Promise<User> {
    const found = await this.#deps.tokens.peek('password_reset', token);
    const user = found?.userId ? await this.#deps.userManager.findById(found.userId) : undefined;
    // Bound to the stamp: a password set since (by the user, a reset or an admin) kills the link.
    if (
      user?.status !== 'active' ||
      !mayHaveLocalPassword(user) ||
      found?.securityStamp !== user.securityStamp
    ) {
      throw new AppError('token_invalid');
    }
    // A link mailed before the domain was scoped must not set a password that sign-in refuses.
    if (await this.#deps.localLogin.denyLocalLoginFor(user.email)) throw new AppError('local_login_denied');
    return user;
  }

  async complete(token: string, password: string, actor?: Actor): Promise<User> {
    const manager = this.#deps.userManager;
    const user = await this.verify(token);
    const check = await manager.validatePassword(password);
    if (!check.ok) throw passwordRejected(check);
    const redeem = async (trx: Knex.Transaction) =>
      (await this.#deps.tokens.withTransaction(trx).redeem('password_reset', token)) !== undefined;
    const updated = await manager.resetPassword(user.id, password, actor, { redeem });
    await this.#deps.notifications.publish(
      'UserForgotPasswordChanged',
      { affectedUserId: user.id, actor },
      {},
    );
    return updated;
  }

  async #send(email: string, actor: Actor | undefined): Promise<void> {
    const user = await this.#deps.userManager.findByEmail(email);
    if (user?.status !== 'active') return;
    if (!mayHaveLocalPassword(user)) return;
    // Users of a DENY_LOCAL_LOGIN_DOMAINS domain get no mail: the answer stays the neutral one.
    if (await this.#deps.localLogin.denyLocalLoginFor(user.email)) return;
    await this.#deps.tokens.revokeAll('password_reset', user.id);
    const token = await this.#deps.tokens.issue('password_reset', user.id, this.#deps.ttlSeconds, undefined, {
      securityStamp: user.securityStamp,
    });
    const link = `${this.#deps.issuer}/reset-password?token=${encodeURIComponent(token)}`;
    await this.#deps.notifications.publish(
      'UserForgotPasswordRequested',
      { affectedUserId: user.id, actor },
      {},
    );
    await this.#deps.email.send({
      emailType: 'PasswordReset',
      to: user.email,
      affectedUserId: user.id,
      actor,
      // Whoever asked (the user, or an administrator for them), the email speaks the user's language.
      locale: recipientLocale(user),
      values: { link, name: user.name, validMinutes: Math.round(this.#deps.ttlSeconds / 60) },
    });
  }
}

/**
 * Someone who signs in only upstream gets no local password through "Forgot password": disabling
 * them upstream must keep locking them out. An administrator allows one (`localPasswordAllowed`,
 * or by setting a password); the reset pages are closed under DenyLocalLogin either way.
 */
function mayHaveLocalPassword(user: User): boolean {
  return user.hasPassword || user.localPasswordAllowed;
}
