import type { Locale } from '../../i18n/i18n.ts';
import { currentLocale } from '../../i18n/request-locale.ts';
import type { Views } from '../../rendering/views.ts';
import type { NotificationBus } from '../notification-bus.ts';
import type { Actor } from '../notification-types.ts';
import type { EmailMessage, EmailSender, EmailType } from './email-message.ts';

const TEMPLATES: Record<EmailType, string> = {
  UserInvite: 'user-invite',
  PasswordReset: 'password-reset',
  TwoFactorAuth: 'two-factor-code',
};

export interface EmailRequest {
  emailType: EmailType;
  to: string;
  affectedUserId: string;
  /** The recipient's language; default the current request's. */
  locale?: Locale | undefined;
  actor?: Actor | undefined;
  /** Template values; `link` and `code` are also handed to handlers on the message. */
  values: Record<string, unknown> & { link?: string; code?: string };
}

/**
 * Renders an email, subject included, in the recipient's language from `views/emails/<template>.{txt,html}.njk`, publishes
 * `SendEmailNotification`, and sends it unless a handler called `handleEmail()`.
 */
export class EmailService {
  readonly #views: Views;
  readonly #bus: NotificationBus;
  #sender: EmailSender;

  constructor(views: Views, bus: NotificationBus, sender: EmailSender) {
    this.#views = views;
    this.#bus = bus;
    this.#sender = sender;
  }

  /** Returns whether Gatehouse sent the message itself (false when a handler took it). */
  async send(request: EmailRequest): Promise<boolean> {
    const template = TEMPLATES[request.emailType];
    const locale = request.locale ?? currentLocale();
    const values = { ...request.values, locale };
    const message: EmailMessage = {
      to: request.to,
      subject: this.#views.translator(locale)(`email.${template}.subject`, values),
      text: this.#views.render(`emails/${template}.txt.njk`, values),
      html: this.#views.render(`emails/${template}.html.njk`, values),
      link: request.values.link,
      code: request.values.code,
    };
    let handled = false;
    const notification = await this.#bus.publish(
      'SendEmailNotification',
      { affectedUserId: request.affectedUserId, actor: request.actor },
      {
        emailType: request.emailType,
        message,
        get handled() {
          return handled;
        },
        handleEmail() {
          handled = true;
        },
      },
    );
    if (notification.handled) return false;
    await this.#sender.send(request.emailType, notification.message);
    return true;
  }
}
