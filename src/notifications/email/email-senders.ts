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
 * Without SMTP, messages wait in the `outbox` table (the admin API lists them) for an operator or
 * another system to deliver. The log says that one is waiting and where, never what it says: the
 * body carries single-use links and codes, and logs travel further than the database.
 */
export function createOutboxSender(db: Database, logger: Logger): EmailSender {
  return {
    async send(emailType: EmailType, message: EmailMessage) {
      const [row] = await db('outbox')
        .insert({
          email_type: emailType,
          to: message.to,
          subject: message.subject,
          text: message.text,
          html: message.html,
        })
        .returning('id');
      const outboxId = Number(typeof row === 'object' ? row.id : row);
      logger.info(
        { emailType, to: message.to, outboxId },
        'email waiting in the outbox table (EMAIL_DELIVERY=outbox)',
      );
    },
  };
}
