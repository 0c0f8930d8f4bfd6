import type { Knex } from 'knex';
import { type Adapter, type AdapterPayload, errors } from 'oidc-provider';
import type { Database } from '../db/database.ts';
import type { ClientStore } from './client-store.ts';

interface PayloadRow {
  payload: AdapterPayload;
  consumed_at: Date | null;
}

/**
 * oidc-provider's storage in PostgreSQL. Every model but Client lives in `oidc_payloads`; clients
 * come from the `clients` table that the `gatehouse client` commands manage.
 */
export function createAdapterFactory(db: Database, clients: ClientStore): (model: string) => Adapter {
  return (model) => (model === 'Client' ? new ClientAdapter(clients) : new KnexAdapter(db, model));
}

export class KnexAdapter implements Adapter {
  private readonly db: Database;
  private readonly model: string;

  constructor(db: Database, model: string) {
    this.db = db;
    this.model = model;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const row = {
      model: this.model,
      id,
      payload: JSON.stringify(payload),
      grant_id: payload.grantId ?? null,
      user_code: payload.userCode ?? null,
      uid: payload.uid ?? null,
      expires_at: expiresIn ? this.db.raw('now() + make_interval(secs => ?)', [expiresIn]) : null,
    };
    // consumed_at is left alone on update: re-saving a consumed artefact must not revive it.
    await this.db('oidc_payloads')
      .insert(row)
      .onConflict(['model', 'id'])
      .merge(['payload', 'grant_id', 'user_code', 'uid', 'expires_at']);
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return this.findWhere({ id });
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.findWhere({ user_code: userCode });
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.findWhere({ uid });
  }

  /**
   * Atomic: of N concurrent redemptions exactly one flips `consumed_at`; the others get
   * invalid_grant here instead of each going on to mint tokens from the same code.
   */
  async consume(id: string): Promise<void> {
    const updated = await this.db('oidc_payloads')
      .where({ model: this.model, id })
      .whereNull('consumed_at')
      .update({ consumed_at: this.db.fn.now() });
    if (updated === 0) {
      throw new errors.InvalidGrant(`${this.label()} already consumed`);
    }
  }

  async destroy(id: string): Promise<void> {
    await this.db('oidc_payloads').where({ model: this.model, id }).delete();
  }

  /**
   * Only this model's rows: oidc-provider calls it once per token model, and other models carry a
   * grantId too (an Interaction for a user who already has the grant) that revocation must not drop.
   */
  async revokeByGrantId(grantId: string): Promise<void> {
    await this.db('oidc_payloads').where({ model: this.model, grant_id: grantId }).delete();
  }

  private async findWhere(where: Record<string, string>): Promise<AdapterPayload | undefined> {
    const row: PayloadRow | undefined = await this.db('oidc_payloads')
      .select('payload', 'consumed_at')
      .where({ model: this.model, ...where })
      .andWhere((q: Knex.QueryBuilder) =>
        q.whereNull('expires_at').orWhere('expires_at', '>', this.db.fn.now()),
      )
      .first();
    if (!row) return undefined;
    if (!row.consumed_at) return row.payload;
    return { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) };
  }

  private label(): string {
    return this.model === 'AuthorizationCode'
      ? 'authorization code'
      : this.model.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  }
}

/** Clients are managed by `gatehouse client …`, so the provider only ever reads them. */
class ClientAdapter implements Adapter {
  private readonly clients: ClientStore;

  constructor(clients: ClientStore) {
    this.clients = clients;
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return (await this.clients.findMetadata(id)) as AdapterPayload | undefined;
  }

  async upsert(): Promise<void> {
    throw new Error('clients are managed with `gatehouse client`, not through the provider');
  }
  async findByUserCode(): Promise<undefined> {
    return undefined;
  }
  async findByUid(): Promise<undefined> {
    return undefined;
  }
  async consume(): Promise<void> {}
  async destroy(): Promise<void> {}
  async revokeByGrantId(): Promise<void> {}
}

/**
 * Deletes expired artefacts in batches so a large backlog never holds a long lock. Returns how many
 * rows went.
 */
export async function purgeExpiredPayloads(db: Database, batchSize = 1000): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await db.raw(
      `DELETE FROM oidc_payloads WHERE ctid IN (
         SELECT ctid FROM oidc_payloads WHERE expires_at < now() LIMIT ?)`,
      [batchSize],
    );
    const count =
      (deleted as { rowCount?: number; affectedRows?: number }).rowCount ??
      (deleted as { affectedRows?: number }).affectedRows ??
      0;
    total += count;
    if (count < batchSize) return total;
  }
}
