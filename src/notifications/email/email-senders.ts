import nodemailer from 'nodemailer';
import type { Database } from '../../db/database.ts';
import type { Logger } from '../../operations/logger.ts';
import type { EmailMessage, EmailSender, EmailType } from './email-message.ts';

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
 * Without SMTP, messages go to the `outbox` table and the log, so a development install can still
 * read its invitations and reset links.
 */
export function createOutboxSender(db: Database, logger: Logger): EmailSender {
  return {
    async send(emailType: EmailType, message: EmailMessage) {
      await db('outbox').insert({
        email_type: emailType,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
      });
      logger.info(
        { emailType, to: message.to, subject: message.subject, text: message.text },
        'email kept in the outbox (SMTP_URL is not set)',
      );
    },
  };
}
