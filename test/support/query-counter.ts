import type { Database } from '../../src/db/database.ts';

/**
 * Counts database round trips: knex emits `query` once per statement it sends, transaction
 * control (BEGIN/COMMIT) included, so the count is what the network sees.
 */
export class QueryCounter {
  readonly statements: string[] = [];
  readonly #listener = (q: { sql: string }) => {
    this.statements.push(q.sql);
  };
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
    db.on('query', this.#listener);
  }

  /** Runs `work` and returns the statements sent while it ran. */
  async during(work: () => Promise<unknown>): Promise<string[]> {
    const start = this.statements.length;
    await work();
    return this.statements.slice(start);
  }

  close(): void {
    this.#db.removeListener('query', this.#listener);
  }
}
