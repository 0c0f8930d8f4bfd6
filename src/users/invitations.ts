import type { Knex } from 'knex';
import { AppError } from '../errors/app-error.ts';
import type { Locale } from '../i18n/i18n.ts';
import { requestedLocale } from '../i18n/request-locale.ts';
import type { EmailService } from '../notifications/email/email-service.ts';
import type { NotificationBus } from '../notifications/notification-bus.ts';
import type { Actor } from '../notifications/notification-types.ts';
import type { OneTimeTokenStore } from './one-time-token-store.ts';
import { passwordRejected } from './password-policy.ts';
import type { User } from './user.ts';
import { recipientLocale } from './user-locale.ts';
import type { UserManager } from './user-manager.ts';

export interface InvitationDeps {
  userManager: UserManager;
  tokens: OneTimeTokenStore;
  email: EmailService;
  notifications: NotificationBus;
  issuer: string;
  ttlSeconds: number;
}

export interface InviteInput {
  email: string;
  name?: string | undefined;
  groups?: string[] | undefined;
  /** A personal note included in the email. */
  message?: string | undefined;
  /**
   * The invitee may accept through an upstream account with another address than the one invited
   * (the administrator's choice; by default the addresses must match).
   */
  allowOtherEmail?: boolean | undefined;
  /** The invitee's language; default the inviting request's (the console's or the API's). */
  locale?: Locale | undefined;
}

/** An invitation that is still good: whom it invites and on what terms. */
export interface OpenInvitation {
  user: User;
  allowOtherEmail: boolean;
}

/**
 * Invitations, as Umbraco's: an admin invites by email; the link (single use, hashed, expiring)
 * lets the invitee in partially, just far enough to choose a password, which approves them.
 * Inviting again voids the previous link.
 */
export class InvitationService {
  readonly #deps: InvitationDeps;

  constructor(deps: InvitationDeps) {
    this.#deps = deps;
  }

  async invite(input: InviteInput, actor?: Actor): Promise<{ user: User; link: string }> {
    const user = await this.#invitee(input);
    await this.#deps.tokens.revokeAll('invite', user.id);
    const token = await this.#deps.tokens.issue('invite', user.id, this.#deps.ttlSeconds, undefined, {
      securityStamp: user.securityStamp,
      allowOtherEmail: input.allowOtherEmail ?? false,
    });
    const link = `${this.#deps.issuer}/invite?token=${encodeURIComponent(token)}`;
    await this.#sendInvitation(user, link, input.message, actor);
    await this.#deps.notifications.publish('UserInvited', { affectedUserId: user.id, actor }, {});
    return { user, link };
  }

  /** The invited account: a new one, or the one invited before (in the language asked for now). */
  async #invitee(input: InviteInput): Promise<User> {
    const manager = this.#deps.userManager;
    const existing = await manager.findByEmail(input.email);
    if (existing && existing.status !== 'invited') {
      throw AppError.keyed('email_taken', 'user.alreadyHasAccount');
    }
    const locale = input.locale ?? (existing?.locale || undefined) ?? requestedLocale();
    if (existing && locale && existing.locale !== locale) return manager.updateUser(existing.id, { locale });
    if (existing) return existing;
    return manager.createUser({
      email: input.email,
      name: input.name,
      groups: input.groups,
      status: 'invited',
      locale,
    });
  }

  async #sendInvitation(user: User, link: string, message: string | undefined, actor?: Actor): Promise<void> {
    const performer = actor?.performingUserId;
    const inviter = performer ? await this.#deps.userManager.findById(performer) : undefined;
    await this.#deps.email.send({
      emailType: 'UserInvite',
      to: user.email,
      affectedUserId: user.id,
      actor,
      // Written in the invitee's language, not necessarily the inviting administrator's.
      locale: recipientLocale(user),
      values: {
        link,
        name: user.name,
        email: user.email,
        inviter: inviter?.name ? `${inviter.name} (${inviter.email})` : inviter?.email,
        message,
        validHours: Math.round(this.#deps.ttlSeconds / 3600),
      },
    });
  }

  /** The invited user behind a link that is still good, without using it up. */
  async verify(token: string): Promise<User> {
    return (await this.open(token)).user;
  }

  /** The invitation behind a link that is still good, with its terms, without using it up. */
  async open(token: string): Promise<OpenInvitation> {
    const found = await this.#deps.tokens.peek('invite', token);
    const user = found?.userId ? await this.#deps.userManager.findById(found.userId) : undefined;
    if (user?.status !== 'invited' || found?.securityStamp !== user.securityStamp) {
      throw new AppError('token_invalid');
    }
    return { user, allowOtherEmail: found.allowOtherEmail };
  }

  /**
   * Completes the invitation. The password is checked before the link is used up, so a refused
   * password can be corrected with the same link.
   */
  async accept(
    token: string,
    options: {
      password?: string | undefined;
      actor?: Actor;
      /** More writes of the acceptance (an upstream link), in the same transaction as the approval. */
      alsoWrite?: (trx: Knex.Transaction, user: User) => Promise<void>;
    },
  ): Promise<User> {
    const manager = this.#deps.userManager;
    const user = await this.verify(token);
    if (options.password !== undefined) {
      const check = await manager.validatePassword(options.password);
      if (!check.ok) throw passwordRejected(check);
    }
    const redeem = async (trx: Knex.Transaction) => {
      if ((await this.#deps.tokens.withTransaction(trx).redeem('invite', token)) === undefined) return false;
      await options.alsoWrite?.(trx, user);
      return true;
    };
    return manager.acceptInvitation(user.id, { password: options.password, actor: options.actor, redeem });
  }
}
