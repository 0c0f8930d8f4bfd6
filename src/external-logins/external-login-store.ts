import type { Knex } from 'knex';
import type { Database } from '../db/database.ts';

export interface ExternalLogin {
  providerAlias: string;
  subject: string;
  userId: string;
  email: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

interface Row {
  provider_alias: string;
  subject: string;
  user_id: string;
  email: string | null;
  created_at: Date;
  last_used_at: Date | null;
}

const toLogin = (r: Row): ExternalLogin => ({
  providerAlias: r.provider_alias,
  subject: r.subject,
  userId: r.user_id,
  email: r.email,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
});

/** SQL for `external_logins`: which upstream identity belongs to which local user. */
export class ExternalLoginStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** The same store inside a transaction (an invitation accepted through an upstream). */
  withTransaction(trx: Knex.Transaction): ExternalLoginStore {
    return new ExternalLoginStore(trx);
  }

  async find(providerAlias: string, subject: string): Promise<ExternalLogin | undefined> {
    const row: Row | undefined = await this.#db('external_logins')
      .where({ provider_alias: providerAlias, subject })
      .first();
    return row ? toLogin(row) : undefined;
  }

  async listForUser(userId: string): Promise<ExternalLogin[]> {
    const rows: Row[] = await this.#db('external_logins')
      .where({ user_id: userId })
      .orderBy('provider_alias');
    return rows.map(toLogin);
  }

  /** Links; returns false when that upstream identity already belongs to someone. */
  async link(
    providerAlias: string,
    subject: string,
    userId: string,
    email: string | undefined,
  ): Promise<boolean> {
    const inserted = await this.#db('external_logins')
      .insert({ provider_alias: providerAlias, subject, user_id: userId, email: email ?? null })
      .onConflict(['provider_alias', 'subject'])
      .ignore()
      .returning('user_id');
    return inserted.length > 0;
  }

  async unlink(providerAlias: string, subject: string, userId: string): Promise<boolean> {
    return (
      (await this.#db('external_logins')
        .where({ provider_alias: providerAlias, subject, user_id: userId })
        .delete()) > 0
    );
  }

  async touch(providerAlias: string, subject: string): Promise<void> {
    await this.#db('external_logins')
      .where({ provider_alias: providerAlias, subject })
      .update({ last_used_at: this.#db.fn.now() });
  }
}
