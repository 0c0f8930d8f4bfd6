import type { Database } from '../db/database.ts';

/** A stored browser session's payload, as far as listing sessions needs it. */
export interface SessionPayload {
  uid: string;
  loginTs?: number;
  iat?: number;
  exp?: number;
  authorizations?: Record<string, unknown>;
}

/**
 * The queries on `oidc_payloads` that oidc-provider's adapter does not make: a user's sessions and
 * everything issued to them or to a client, and the purge of expired rows. The adapter
 * (knex-adapter.ts) and this store are the only code that touches the table.
 */
export class OidcPayloadStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Ids of every stored session of the account. */
  async sessionIdsOf(accountId: string): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.#db('oidc_payloads')
      .where({ model: 'Session' })
      .whereRaw("payload->>'accountId' = ?", [accountId])
      .select('id');
    return rows.map((r) => r.id);
  }

  /** The unexpired sessions of the account. */
  async liveSessionsOf(accountId: string): Promise<SessionPayload[]> {
    const rows: Array<{ payload: SessionPayload }> = await this.#db('oidc_payloads')
      .where({ model: 'Session' })
      .whereRaw("payload->>'accountId' = ?", [accountId])
      .where((q) => q.whereNull('expires_at').orWhere('expires_at', '>', new Date()))
      .select('payload');
    return rows.map((r) => r.payload);
  }

  /** Deletes every grant and token of the account except those of the grants in `keptGrants`. */
  async deleteIssuedToAccount(accountId: string, keptGrants: string[]): Promise<number> {
    return this.#db('oidc_payloads')
      .whereRaw("payload->>'accountId' = ?", [accountId])
      .whereNot({ model: 'Session' })
      .where((q) => q.whereNull('grant_id').orWhereNotIn('grant_id', keptGrants))
      .where((q) => q.whereNot({ model: 'Grant' }).orWhereNotIn('id', keptGrants))
      .delete();
  }

  /** Deletes the grants and everything issued under them. */
  async deleteGrants(grantIds: string[]): Promise<number> {
    if (!grantIds.length) return 0;
    return this.#db('oidc_payloads')
      .whereIn('grant_id', grantIds)
      .orWhere((q) => q.where({ model: 'Grant' }).whereIn('id', grantIds))
      .delete();
  }

  /** Deletes everything issued to a client (its tokens, codes and grants). */
  async deleteIssuedToClient(clientId: string): Promise<number> {
    return this.#db('oidc_payloads').whereRaw("payload->>'clientId' = ?", [clientId]).delete();
  }

  /** Removes expired rows in batches, so a long backlog never holds one huge lock. */
  async purgeExpired(batchSize = 1000): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.#db.raw(
        `DELETE FROM oidc_payloads WHERE ctid IN (
           SELECT ctid FROM oidc_payloads WHERE expires_at < now() LIMIT ?)`,
        [batchSize],
      );
      const count = (deleted as { rowCount?: number }).rowCount ?? 0;
      total += count;
      if (count < batchSize) return total;
    }
  }

  /** The same store inside a transaction. */
  withTransaction(trx: Database): OidcPayloadStore {
    return new OidcPayloadStore(trx);
  }
}
