import nodemailer from 'nodemailer';
import type { Logger } from '../../operations/logger.ts';
import type { EmailMessage, EmailSender, EmailType } from './email-message.ts';
import type { OutboxStore } from './outbox-store.ts';

/** Delivery over `SMTP_URL` with nodemailer. */
export function createSmtpSender(smtpUrl: string, from: string): EmailSender & { close(): void } {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(_emailType, message) {
      await transport.sendMail({
        from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
      });
    },
    close: () => transport.close(),
  };
}

/**
 * Without SMTP, messages wait in the `outbox` table (the admin API lists them) for an operator or
 * another system to deliver. The log says that one is waiting and where, never what it says: the
 * body carries single-use links and codes, and logs travel further than the database.
 */
export function createOutboxSender(outbox: OutboxStore, logger: Logger): EmailSender {
  return {
    async send(emailType: EmailType, message: EmailMessage) {
      const { to, subject, text, html } = message;
      const outboxId = await outbox.add({ emailType, to, subject, text, html });
      logger.info(
        { emailType, to: message.to, outboxId },
        'email waiting in the outbox table (EMAIL_DELIVERY=outbox)',
      );
    },
  };
}
