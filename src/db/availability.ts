import type { Logger } from '../operations/logger.ts';
import type { Database } from './database.ts';

// Network failures; pg's own messages for a connection that died or never came; PostgreSQL's classes
// 08 (connection exception) and 57P0x (shutting down, cannot connect now), and 57014 (a statement
// cancelled by statement_timeout: the database is too slow to answer in time).
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EPIPE',
]);
// "timeout expired" is pg's connectionTimeoutMillis firing on a server that accepted the TCP
// connection and then said nothing (a hung host, dropped packets): it used to answer 500.
const PG_MESSAGES =
  /Connection terminated|connection timeout|Query read timeout|Client has encountered a connection error|timeout exceeded when trying to connect|^timeout expired$/i;

/** True when `error` says the database cannot be reached or did not answer in time. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'KnexTimeoutError') return true;
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || code.startsWith('08') || /^57P0[1-3]$/.test(code) || code === '57014') {
      return true;
    }
  }
  if (PG_MESSAGES.test(error.message)) return true;
  const cause = (error as Error & { cause?: unknown }).cause;
  return cause !== undefined && cause !== error && isDatabaseUnavailable(cause);
}

/** How long clients are told to wait before retrying while the database is away. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * Knows whether the database is away, and says so in the log once per outage (not once per refused
 * request): the first failure logs an error and starts a probe every second; the first probe that
 * gets an answer logs the recovery.
 */
export class DatabaseAvailability {
  readonly #db: Database;
  readonly #logger: Logger;
  #probe: NodeJS.Timeout | undefined;
  #since: number | undefined;

  constructor(db: Database, logger: Logger) {
    this.#db = db;
    this.#logger = logger;
  }

  get available(): boolean {
    return this.#since === undefined;
  }

  /** Records `error` when it is an outage; answers whether it was. */
  report(error: unknown): boolean {
    if (!isDatabaseUnavailable(error)) return false;
    if (this.#since !== undefined) return true;
    this.#since = Date.now();
    this.#logger.error({ err: error }, 'database unavailable; answering 503 until it is back');
    this.#probe = setInterval(() => void this.#check(), 1000);
    this.#probe.unref();
    return true;
  }

  async #check(): Promise<void> {
    try {
      await this.#db.raw('select 1');
    } catch {
      return;
    }
    const seconds = Math.round((Date.now() - (this.#since ?? Date.now())) / 1000);
    this.#since = undefined;
    clearInterval(this.#probe);
    this.#logger.info({ seconds }, 'database available again');
  }

  stop(): void {
    clearInterval(this.#probe);
  }
}
