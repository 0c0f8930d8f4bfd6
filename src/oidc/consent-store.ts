import type { Database } from '../db/database.ts';

export interface RememberedConsent {
  clientId: string;
  clientName: string | null;
  scopes: string[];
  claims: string[];
  createdAt: Date;
  updatedAt: Date;
}

/**
 * The consents people gave, per user and application rather than per browser session: a new
 * session finds them (loadExistingGrant) and asks only for what is new. Revoking one removes the
 * application's grants and tokens for that user too.
 */
export class ConsentStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Adds to what the user allowed the client (never narrows it: a narrower request asks nothing). */
  async remember(userId: string, clientId: string, scopes: string[], claims: string[]): Promise<void> {
    const existing = await this.find(userId, clientId);
    const union = (a: string[], b: string[]) => [...new Set([...a, ...b])].sort();
    await this.#db('consents')
      .insert({
        user_id: userId,
        client_id: clientId,
        scopes: union(existing?.scopes ?? [], scopes),
        claims: union(existing?.claims ?? [], claims),
      })
      .onConflict(['user_id', 'client_id'])
      .merge(['scopes', 'claims', 'updated_at']);
  }

  async find(userId: string, clientId: string): Promise<RememberedConsent | undefined> {
    const [found] = await this.#rows(userId, clientId);
    return found;
  }

  listFor(userId: string): Promise<RememberedConsent[]> {
    return this.#rows(userId);
  }

  /** Forgets the consent and ends what it allowed: the client's grants and tokens for this user. */
  async revoke(userId: string, clientId: string): Promise<boolean> {
    return this.#db.transaction(async (trx) => {
      const deleted = await trx('consents').where({ user_id: userId, client_id: clientId }).delete();
      await trx('oidc_payloads')
        .whereRaw("payload->>'accountId' = ?", [userId])
        .whereRaw("payload->>'clientId' = ?", [clientId])
        .whereNot({ model: 'Session' })
        .delete();
      return deleted > 0;
    });
  }

  async #rows(userId: string, clientId?: string): Promise<RememberedConsent[]> {
    const q = this.#db('consents')
      .join('clients', 'clients.client_id', 'consents.client_id')
      .where('consents.user_id', userId)
      .orderBy('consents.client_id')
      .select('consents.*', this.#db.raw("clients.metadata->>'client_name' as client_name"));
    if (clientId) q.where('consents.client_id', clientId);
    const rows: Array<Record<string, unknown>> = await q;
    return rows.map((r) => ({
      clientId: String(r.client_id),
      clientName: (r.client_name as string | null) ?? null,
      scopes: r.scopes as string[],
      claims: r.claims as string[],
      createdAt: r.created_at as Date,
      updatedAt: r.updated_at as Date,
    }));
  }
}
