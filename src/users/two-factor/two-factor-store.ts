import type { Knex } from 'knex';
import type { SecretBox } from '../../crypto/secret-box.ts';
import type { Database } from '../../db/database.ts';

export type StoredProvider = 'totp' | 'email';

export interface TwoFactorRecord {
  provider: StoredProvider;
  /** Decrypted TOTP secret (only for totp). */
  secret: string | null;
  lastUsedStep: number | null;
  confirmed: boolean;
}

interface Row {
  provider: StoredProvider;
  secret_encrypted: string | null;
  last_used_step: string | number | null;
  confirmed_at: Date | null;
}

/** SQL for second factors and recovery codes; secrets are encrypted before they reach a column. */
export class TwoFactorStore {
  readonly #db: Database;
  readonly #box: SecretBox;

  constructor(db: Database, box: SecretBox) {
    this.#db = db;
    this.#box = box;
  }

  /** The same store inside a transaction (a sign-in attempt holding the user's row lock). */
  withTransaction(trx: Database): TwoFactorStore {
    return new TwoFactorStore(trx, this.#box);
  }

  /** Runs `work` in one transaction, with this store bound to it. */
  transaction<T>(work: (store: TwoFactorStore, trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.#db.transaction((trx) => work(new TwoFactorStore(trx, this.#box), trx));
  }

  async list(userId: string): Promise<TwoFactorRecord[]> {
    const rows: Row[] = await this.#db('user_two_factor').where({ user_id: userId });
    return rows.map((r) => ({
      provider: r.provider,
      secret: r.secret_encrypted ? this.#box.decrypt(r.secret_encrypted) : null,
      lastUsedStep: r.last_used_step === null ? null : Number(r.last_used_step),
      confirmed: r.confirmed_at !== null,
    }));
  }

  /** Starts (or restarts) an enrolment that is not active until confirmed. */
  async savePending(userId: string, provider: StoredProvider, secret: string | null): Promise<void> {
    await this.#db('user_two_factor')
      .insert({
        user_id: userId,
        provider,
        secret_encrypted: secret ? this.#box.encrypt(secret) : null,
        confirmed_at: null,
        last_used_step: null,
      })
      .onConflict(['user_id', 'provider'])
      .merge();
  }

  async confirm(userId: string, provider: StoredProvider, usedStep: number | null): Promise<void> {
    await this.#db('user_two_factor')
      .where({ user_id: userId, provider })
      .update({ confirmed_at: this.#db.fn.now(), last_used_step: usedStep });
  }

  /** Records the accepted step only if it is newer than the last: of two racing uses, one wins. */
  async claimStep(userId: string, step: number): Promise<boolean> {
    const updated = await this.#db('user_two_factor')
      .where({ user_id: userId, provider: 'totp' })
      .andWhere((q) => q.whereNull('last_used_step').orWhere('last_used_step', '<', step))
      .update({ last_used_step: step });
    return updated > 0;
  }

  async remove(userId: string, provider?: StoredProvider): Promise<void> {
    const q = this.#db('user_two_factor').where({ user_id: userId });
    await (provider ? q.andWhere({ provider }) : q).delete();
  }

  async replaceRecoveryCodes(userId: string, hashes: string[]): Promise<void> {
    await this.#db.transaction(async (trx) => {
      await trx('recovery_codes').where({ user_id: userId }).delete();
      await trx('recovery_codes').insert(hashes.map((code_hash) => ({ user_id: userId, code_hash })));
    });
  }

  /** Uses a recovery code up; returns false for an unknown or already used one. */
  async useRecoveryCode(userId: string, hash: string): Promise<boolean> {
    const updated = await this.#db('recovery_codes')
      .where({ user_id: userId, code_hash: hash })
      .whereNull('used_at')
      .update({ used_at: this.#db.fn.now() });
    return updated > 0;
  }

  async remainingRecoveryCodes(userId: string): Promise<number> {
    const row = await this.#db('recovery_codes')
      .where({ user_id: userId })
      .whereNull('used_at')
      .count<{ count: string }[]>('* as count')
      .first();
    return Number(row?.count ?? 0);
  }

  async removeRecoveryCodes(userId: string): Promise<void> {
    await this.#db('recovery_codes').where({ user_id: userId }).delete();
  }
}
