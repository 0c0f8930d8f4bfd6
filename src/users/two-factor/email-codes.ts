import { randomInt } from 'node:crypto';
import { randomToken } from '../../crypto/secret-box.ts';
import type { EmailService } from '../../notifications/email/email-service.ts';
import type { NotificationBus } from '../../notifications/notification-bus.ts';
import type { Actor } from '../../notifications/notification-types.ts';
import type { RateLimits } from '../../rate-limits/rate-limits.ts';
import type { OneTimeTokenStore } from '../one-time-token-store.ts';
import type { User } from '../user.ts';
import { recipientLocale } from '../user-locale.ts';

export interface EmailCodeDeps {
  email: EmailService;
  notifications: NotificationBus;
  tokens: OneTimeTokenStore;
  emailCodeTtlSeconds: number;
  limits: RateLimits;
}

/** A link mailed with the code: `url` builds it around the token; `bindTo` is what it is for. */
export interface MailboxLink {
  bindTo: string;
  url: (token: string) => string;
}

/**
 * Six-digit codes sent by email (a second factor, and the proof of a mailbox when linking), with an
 * optional single-use link. Only the newest code works; each one sent counts towards the account's
 * EMAIL_CODE_PER_ACCOUNT limit.
 */
export class EmailCodes {
  readonly #deps: EmailCodeDeps;

  constructor(deps: EmailCodeDeps) {
    this.#deps = deps;
  }

  /**
   * The email code, and with `link` also a single-use link bound to `link.bindTo` (the waiting
   * sign-in) and to the user's security stamp: either one proves the mailbox. Written in the
   * language stored for the user (a code asked for from someone else's browser is still theirs to
   * read), else the page's.
   */
  async send(user: User, actor?: Actor, link?: MailboxLink): Promise<void> {
    await this.#deps.limits.consume('EMAIL_CODE_PER_ACCOUNT', user.id, actor?.ip);
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await this.#deps.tokens.revokeAll('two_factor_email', user.id);
    await this.#deps.tokens.issue(
      'two_factor_email',
      user.id,
      this.#deps.emailCodeTtlSeconds,
      emailCodeToken(user, code),
    );
    await this.#deps.notifications.publish(
      'UserTwoFactorRequested',
      { affectedUserId: user.id, actor },
      { provider: 'email' },
    );
    await this.#deps.email.send({
      emailType: 'TwoFactorAuth',
      to: user.email,
      affectedUserId: user.id,
      locale: recipientLocale(user),
      actor,
      values: {
        code,
        validMinutes: Math.round(this.#deps.emailCodeTtlSeconds / 60),
        ...(link ? { link: link.url(await this.#issueLink(user, link.bindTo)) } : {}),
      },
    });
  }

  /** Uses up the newest code if `code` is it. */
  async redeem(user: User, code: string): Promise<boolean> {
    const trimmed = code.trim();
    if (!/^\d{6}$/.test(trimmed)) return false;
    return (await this.#deps.tokens.redeem('two_factor_email', emailCodeToken(user, trimmed))) !== undefined;
  }

  /** The emailed link of `send`, used up: only for `bindTo`, and void once the stamp moved. */
  async redeemLink(user: User, bindTo: string, token: string): Promise<boolean> {
    const found = await this.#deps.tokens.redeem('link_confirmation', `${bindTo}.${token}`);
    return found?.userId === user.id && found.securityStamp === user.securityStamp;
  }

  async #issueLink(user: User, bindTo: string): Promise<string> {
    await this.#deps.tokens.revokeAll('link_confirmation', user.id);
    const token = randomToken(32);
    await this.#deps.tokens.issue(
      'link_confirmation',
      user.id,
      this.#deps.emailCodeTtlSeconds,
      `${bindTo}.${token}`,
      {
        securityStamp: user.securityStamp,
      },
    );
    return token;
  }
}

/** Email codes are six digits, so the stored token binds the code to its user. */
function emailCodeToken(user: User, code: string): string {
  return `${user.id}:${code}`;
}
