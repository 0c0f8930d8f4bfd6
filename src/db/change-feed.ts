import pg from 'pg';
import type { Logger } from '../operations/logger.ts';
import type { Database } from './database.ts';

/** The one PostgreSQL channel every node listens on. */
export const CHANGE_CHANNEL = 'gatehouse_changes';

/** What changed: a table, and the row's key when one row did (no key: anything in it). */
export interface Change {
  table: 'clients' | 'signing_keys' | 'external_providers';
  key?: string;
}

type Subscriber = (change: Change | 'all') => void;

/**
 * Tells every node's caches that a row changed: `publish` sends NOTIFY through the pool, and each
 * node's ChangeFeed holds ONE dedicated connection that LISTENs (never a pooled one: a LISTEN lives
 * only as long as its session). `DATABASE_LISTEN_URL` may point past a transaction pooler, where
 * LISTEN does not work. After the connection drops (a database restart), it reconnects and tells
 * every subscriber that anything may have changed meanwhile.
 */
export class ChangeFeed {
  readonly #db: Database;
  readonly #listenUrl: string | undefined;
  readonly #logger: Logger;
  readonly #subscribers: Subscriber[] = [];
  #client: pg.Client | undefined;
  #retry: NodeJS.Timeout | undefined;
  #stopped = false;
  #failures = 0;

  constructor(db: Database, listenUrl: string | undefined, logger: Logger) {
    this.#db = db;
    this.#listenUrl = listenUrl;
    this.#logger = logger;
  }

  subscribe(subscriber: Subscriber): void {
    this.#subscribers.push(subscriber);
  }

  /** Invalidates this node at once and every other node through NOTIFY. */
  async publish(change: Change): Promise<void> {
    this.#deliver(change);
    // Without a listen URL (a database only this process uses) there is nobody else to tell.
    if (this.#listenUrl) {
      await this.#db.raw('SELECT pg_notify(?, ?)', [CHANGE_CHANNEL, JSON.stringify(change)]);
    }
  }

  /** Starts listening; resolves once the first LISTEN is in place (or failed, then it retries). */
  async start(): Promise<void> {
    if (!this.#listenUrl) return;
    await this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  /** Whether a LISTEN connection is up (for tests and /readyz-style checks). */
  get listening(): boolean {
    return this.#client !== undefined;
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#listenUrl });
    client.on('notification', (message) => this.#onMessage(message.payload));
    client.on('error', (err) => this.#lost(client, err));
    client.on('end', () => this.#lost(client, undefined));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (err) {
      this.#lost(client, err);
      return;
    }
    if (this.#stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    if (this.#failures > 0) this.#logger.info('change notifications listening again');
    this.#failures = 0;
    // Whatever changed while nobody listened is unknown: start every cache afresh.
    this.#deliver('all');
  }

  #lost(client: pg.Client, err: unknown): void {
    if (this.#client && this.#client !== client) return;
    this.#client = undefined;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    if (this.#stopped || this.#retry) return;
    if (this.#failures++ === 0) {
      this.#logger.warn({ err: err ? String(err) : undefined }, 'change notifications lost; reconnecting');
    }
    this.#deliver('all');
    const delay = Math.min(250 * 2 ** Math.min(this.#failures, 5), 5000);
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#connect().catch(() => undefined);
    }, delay);
    this.#retry.unref();
  }

  #onMessage(payload: string | undefined): void {
    try {
      const change = JSON.parse(payload ?? '') as Change;
      if (typeof change.table === 'string') this.#deliver(change);
    } catch {
      this.#deliver('all');
    }
  }

  #deliver(change: Change | 'all'): void {
    for (const subscriber of this.#subscribers) subscriber(change);
  }
}
