import { createHash } from 'node:crypto';
import { AppError } from '../errors/app-error.ts';
import type { RateLimitName, RateLimitSettings } from './policies.ts';
import type { RateLimitStore, WindowCounts } from './rate-limit-store.ts';

/** A refused request: 429, with the seconds after which the same request would be let through. */
export class RateLimitedError extends AppError {
  readonly retryAfterSeconds: number;
  readonly limitName: RateLimitName;

  constructor(limitName: RateLimitName, retryAfterSeconds: number) {
    super('rate_limited', undefined, { retryAfterSeconds });
    this.retryAfterSeconds = retryAfterSeconds;
    this.limitName = limitName;
  }
}

/** Told once per key and window when a limit starts refusing (the audit log, the log). */
export type RefusalListener = (refusal: { limit: RateLimitName; ip: string | undefined }) => void;

/**
 * The named rate limits (./policies.ts), shared by every node through PostgreSQL. Callers name a
 * policy and the subject it counts (an address, an email, a client id):
 *
 * - `consume` counts an attempt and refuses it (RateLimitedError) when it is one too many;
 * - `check` refuses without counting, and `hit` counts without refusing: together they limit
 *   failures only (check before the attempt, hit when it failed).
 *
 * Subjects are hashed: the table holds no email address.
 */
export class RateLimits {
  readonly #store: RateLimitStore;
  readonly #settings: RateLimitSettings;
  readonly #onRefused: RefusalListener | undefined;

  constructor(store: RateLimitStore, settings: RateLimitSettings, onRefused?: RefusalListener) {
    this.#store = store;
    this.#settings = settings;
    this.#onRefused = onRefused;
  }

  async consume(name: RateLimitName, subject: string, ip?: string): Promise<void> {
    const policy = this.#settings[name];
    if (!policy) return;
    const counts = await this.#store.hit(keyOf(name, subject), policy.windowSeconds);
    const verdict = judge(counts, policy);
    if (verdict.allowed) return;
    // Told only at the crossing, so a flood of refused requests is one event, not one per request.
    if (verdict.estimate - 1 <= policy.limit) this.#onRefused?.({ limit: name, ip });
    throw new RateLimitedError(name, verdict.retryAfterSeconds);
  }

  async check(name: RateLimitName, subject: string, ip?: string): Promise<void> {
    const policy = this.#settings[name];
    if (!policy) return;
    const counts = await this.#store.peek(keyOf(name, subject), policy.windowSeconds);
    // Would one more failure still be within the limit? If not, the refused attempt counts as one
    // more (as with `consume`): hammering on keeps the door shut.
    if (judge({ ...counts, current: counts.current + 1 }, policy).allowed) return;
    await this.consume(name, subject, ip);
  }

  /** Forgets keys nobody hit for two days (the maintenance loop). */
  purge(): Promise<number> {
    return this.#store.purge();
  }

  async hit(name: RateLimitName, subject: string, ip?: string): Promise<void> {
    const policy = this.#settings[name];
    if (!policy) return;
    const counts = await this.#store.hit(keyOf(name, subject), policy.windowSeconds);
    const verdict = judge(counts, policy);
    if (!verdict.allowed && verdict.estimate - 1 <= policy.limit) this.#onRefused?.({ limit: name, ip });
  }
}

function keyOf(name: RateLimitName, subject: string): string {
  return `${name}:${createHash('sha256').update(subject.normalize('NFC').toLowerCase()).digest('base64url')}`;
}

/**
 * The sliding-window estimate: the previous window's count weighted by the share of it still inside
 * the sliding window, plus the current count. When over the limit, the wait until one more request
 * fits, assuming none arrives meanwhile.
 */
export function judge(
  counts: WindowCounts,
  policy: { limit: number; windowSeconds: number },
): { allowed: boolean; estimate: number; retryAfterSeconds: number } {
  const w = policy.windowSeconds;
  const elapsed = Math.min(Math.max(counts.elapsedSeconds, 0), w);
  const estimate = counts.previous * (1 - elapsed / w) + counts.current;
  if (estimate <= policy.limit) return { allowed: true, estimate, retryAfterSeconds: 0 };
  const retryAfterSeconds = Math.max(1, Math.ceil(waitUntilFits(counts, policy.limit, w, elapsed)));
  return { allowed: false, estimate, retryAfterSeconds };
}

function waitUntilFits(counts: WindowCounts, limit: number, w: number, elapsed: number): number {
  // Within this window: previous * (1 - e/w) + current + 1 <= limit.
  if (counts.current + 1 <= limit && counts.previous > 0) {
    const e = w * (1 - (limit - counts.current - 1) / counts.previous);
    return Math.max(e - elapsed, 0);
  }
  // In the next window this one's count is the weighted one: current * (1 - e/w) + 1 <= limit.
  const next = counts.current > 0 ? w * (1 - (limit - 1) / counts.current) : 0;
  return w - elapsed + Math.max(next, 0);
}
