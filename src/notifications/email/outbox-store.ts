import type { Database } from '../../db/database.ts';

export interface OutboxMessage {
  id: number;
  emailType: string;
  to: string;
  subject: string;
  text: string;
  /** The links in the message (invitation, reset), for an admin to pass on by hand. */
  links: string[];
  createdAt: Date;
}

/** The messages kept when SMTP_URL is not set: createOutboxSender adds them, admins read them. */
export class OutboxStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Keeps one message; answers its id (the log names it, never its content). */
  async add(message: {
    emailType: string;
    to: string;
    subject: string;
    text: string;
    html: string;
  }): Promise<number> {
    const [row] = await this.#db('outbox')
      .insert({
        email_type: message.emailType,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
      })
      .returning('id');
    return Number(typeof row === 'object' ? row.id : row);
  }

  async list(page: { offset: number; limit: number }): Promise<{ messages: OutboxMessage[]; total: number }> {
    const [rows, count] = await Promise.all([
      this.#db('outbox').orderBy('id', 'desc').offset(page.offset).limit(page.limit),
      this.#db('outbox').count<{ count: string }[]>('* as count').first(),
    ]);
    const messages = (rows as Array<Record<string, unknown>>).map((r) => ({
      id: Number(r.id),
      emailType: String(r.email_type),
      to: String(r.to),
      subject: String(r.subject),
      text: String(r.text),
      links: [...new Set(String(r.text).match(/https?:\/\/[^\s<>"]+/g) ?? [])],
      createdAt: r.created_at as Date,
    }));
    return { messages, total: Number(count?.count ?? 0) };
  }
}
