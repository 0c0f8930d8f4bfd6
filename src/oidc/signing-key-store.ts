import type { Database } from '../db/database.ts';

/** A signing key as stored: the private JWK encrypted with SECRET_KEY. */
export interface KeyRow {
  kid: string;
  alg: string;
  private_jwk_encrypted: string;
  created_at: Date;
  retired_at: Date | null;
  expires_at: Date | null;
}

export type NewKeyRow = Pick<KeyRow, 'kid' | 'alg' | 'private_jwk_encrypted'>;

/** One advisory lock serialises first start-up and rotation across nodes. */
const LOCK = 'gatehouse.signing_keys';

/** SQL for `signing_keys`. Only this file touches the table. */
export class SigningKeyStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Adds keys for the algorithms with no active key; two nodes starting at once add them once. */
  async addMissing(algorithms: readonly string[], make: (alg: string) => NewKeyRow): Promise<void> {
    await this.#db.transaction(async (trx) => {
      await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [LOCK]);
      const active: Array<{ alg: string }> = await trx('signing_keys').whereNull('retired_at').select('alg');
      const missing = algorithms.filter((alg) => !active.some((k) => k.alg === alg));
      if (missing.length) await trx('signing_keys').insert(missing.map(make));
    });
  }

  /** Retires the active keys (published for `retentionSeconds` more) and adds `fresh` ones. */
  async rotate(fresh: NewKeyRow[], retentionSeconds: number): Promise<void> {
    await this.#db.transaction(async (trx) => {
      await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [LOCK]);
      await trx('signing_keys')
        .whereNull('retired_at')
        .update({
          retired_at: trx.fn.now(),
          expires_at: trx.raw('now() + make_interval(secs => ?)', [retentionSeconds]),
        });
      await trx('signing_keys').insert(fresh);
    });
  }

  /** Active keys first (oidc-provider signs with the first of an algorithm), then retired ones. */
  published(): Promise<KeyRow[]> {
    return this.#db('signing_keys')
      .where((q) => q.whereNull('expires_at').orWhere('expires_at', '>', this.#db.fn.now()))
      .orderByRaw('retired_at IS NOT NULL, created_at DESC, kid');
  }

  /** Retired keys past their retention: unpublished already, now forgotten (maintenance loop). */
  async purgeExpired(): Promise<number> {
    return this.#db('signing_keys').where('expires_at', '<', this.#db.fn.now()).delete();
  }
}
