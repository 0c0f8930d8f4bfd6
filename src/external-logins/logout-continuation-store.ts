import { randomToken } from '../crypto/secret-box.ts';
import type { Database } from '../db/database.ts';

const LIFETIME_SECONDS = 15 * 60;

/**
 * Where the browser goes after the upstream has signed it out too: kept under the `state` Gatehouse
 * sends to the upstream's end-session endpoint, used once.
 */
export class LogoutContinuations {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async create(returnTo: string): Promise<string> {
    const state = randomToken(24);
    await this.#db('logout_continuations').insert({
      state,
      return_to: returnTo,
      expires_at: this.#db.raw('now() + make_interval(secs => ?)', [LIFETIME_SECONDS]),
    });
    return state;
  }

  async purgeExpired(): Promise<number> {
    return this.#db('logout_continuations').where('expires_at', '<', this.#db.fn.now()).delete();
  }

  async take(state: string): Promise<string | undefined> {
    const [row] = await this.#db('logout_continuations')
      .where({ state })
      .andWhere('expires_at', '>', this.#db.fn.now())
      .delete()
      .returning('return_to');
    return (row as { return_to?: string } | undefined)?.return_to;
  }
}
