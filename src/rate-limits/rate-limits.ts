import { createHash } from 'node:crypto';
import { AppError } from '../errors/app-error.ts';
import { RATE_LIMIT_SHARDS, type RateLimitName, type RateLimitSettings } from './policies.ts';
import {
  allAllowed,
  hitStepSql,
  type LimitStep,
  type RateLimitStore,
  type StepResult,
  type StepSql,
  toResult,
  type WindowCounts,
} from './rate-limit-store.ts';

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

/** One limit a request is subject to: `consume` counts it, `check` only asks (failures-only limits). */
export interface LimitRequest {
  name: RateLimitName;
  subject: string;
  mode: 'consume' | 'check';
}

/**
 * A limit that is counted inside another statement (the token endpoint's, inside the request's
 * write statement): its CTEs, the expression that says whether it allowed the request, and what to
 * do with the row it returned.
 */
export interface LimitGate extends StepSql {
  allowed: string;
  /** Its CTE, to select the counts from. */
  name: string;
  /** Throws RateLimitedError when the row says refused (and remembers the refusal on this node). */
  settle(row: Record<string, unknown> | undefined): void;
}

/**
 * The named rate limits (./policies.ts), shared by every node through PostgreSQL. Callers name a
 * policy and the subject it counts (an address, an email, a client id):
 *
 * - `consume` counts an attempt and refuses it (RateLimitedError) when it is one too many;
 * - `check` refuses without counting, and `hit` counts without refusing: together they limit
 *   failures only (check before the attempt, hit when it failed);
 * - `applyAll` does several of these in one statement, `gate` one inside another statement.
 *
 * Subjects are hashed: the table holds no email address.
 */
export class RateLimits {
  readonly #store: RateLimitStore;
  readonly #settings: RateLimitSettings;
  readonly #onRefused: RefusalListener | undefined;
  readonly #refusals = new LocalRefusals();

  constructor(store: RateLimitStore, settings: RateLimitSettings, onRefused?: RefusalListener) {
    this.#store = store;
    this.#settings = settings;
    this.#onRefused = onRefused;
  }

  consume(name: RateLimitName, subject: string, ip?: string): Promise<void> {
    return this.applyAll([{ name, subject, mode: 'consume' }], ip);
  }

  check(name: RateLimitName, subject: string, ip?: string): Promise<void> {
    return this.applyAll([{ name, subject, mode: 'check' }], ip);
  }

  /**
   * Applies the limits in order, in one statement: a limit is counted only when those before it
   * let the request through. The first refusal throws; a refused `check` counts the refused
   * attempt as one more (hammering on keeps the door shut).
   */
  async applyAll(requests: LimitRequest[], ip?: string): Promise<void> {
    const active = this.#resolve(requests);
    const results = await this.#store.applyAll(active.map((a) => a.step));
    for (const [i, { request, step }] of active.entries()) {
      const result = results[i];
      if (!result || result.allowed) continue;
      if (request.mode === 'check') {
        // Throws while still refused; if the window moved on meanwhile, the rest is applied now.
        await this.applyAll([{ ...request, mode: 'consume' }], ip);
        return this.applyAll(
          active.slice(i + 1).map((a) => a.request),
          ip,
        );
      }
      this.#refuse(request.name, result, step, ip);
    }
  }

  /**
   * The limit as CTEs for a statement that also does the request's work (the token endpoint's
   * write statement), so counting it costs no round trip of its own. Undefined when it is off.
   * A sharded limit (RATE_LIMIT_SHARDS) counts on one row at random and judges the sum of all.
   */
  gate(name: RateLimitName, subject: string, ip?: string): LimitGate | undefined {
    const [active] = this.#resolve([{ name, subject, mode: 'consume' }]);
    if (!active) return undefined;
    const cte = 'rate_gate';
    return {
      ...hitStepSql(cte, active.step, 'true'),
      name: cte,
      allowed: allAllowed([cte]),
      settle: (row) => {
        const result = row && toResult(row);
        if (result && !result.allowed) this.#refuse(name, result, active.step, ip);
      },
    };
  }

  /**
   * A refusal this node saw (the database's verdict) and that still stands: seconds until the
   * request would fit, or undefined. Lets the node refuse a flood without running the request;
   * the database still counts each refused request (`consume`), so every node keeps refusing.
   */
  refusedHere(name: RateLimitName, subject: string): number | undefined {
    return this.#refusals.remaining(keyOf(name, subject));
  }

  /** Forgets keys nobody hit for two days (the maintenance loop). */
  purge(): Promise<number> {
    return this.#store.purge();
  }

  async hit(name: RateLimitName, subject: string, ip?: string): Promise<void> {
    const policy = this.#settings[name];
    if (!policy) return;
    const counts = await this.#store.hit(keyOf(name, subject), policy.windowSeconds, RATE_LIMIT_SHARDS[name]);
    const verdict = judge(counts, policy);
    if (!verdict.allowed && verdict.estimate - 1 <= policy.limit) this.#onRefused?.({ limit: name, ip });
  }

  /** The policies in force for these requests, each key once (one statement may touch a row once). */
  #resolve(requests: LimitRequest[]): Array<{ request: LimitRequest; step: LimitStep }> {
    const seen = new Set<string>();
    const active: Array<{ request: LimitRequest; step: LimitStep }> = [];
    for (const request of requests) {
      const policy = this.#settings[request.name];
      const key = keyOf(request.name, request.subject);
      if (!policy || seen.has(key)) continue;
      seen.add(key);
      const kind = request.mode === 'consume' ? 'hit' : 'peek';
      active.push({ request, step: { kind, key, ...policy, shards: RATE_LIMIT_SHARDS[request.name] ?? 1 } });
    }
    return active;
  }

  #refuse(name: RateLimitName, result: StepResult, step: LimitStep, ip: string | undefined): never {
    const verdict = judge(result, step);
    // Told only at the crossing, so a flood of refused requests is one event, not one per request.
    if (verdict.estimate - 1 <= step.limit) this.#onRefused?.({ limit: name, ip });
    // The database said no; `judge` (the same formula) gives the wait, at least a second.
    const retryAfterSeconds = Math.max(1, verdict.retryAfterSeconds);
    this.#refusals.remember(step.key, retryAfterSeconds);
    throw new RateLimitedError(name, retryAfterSeconds);
  }
}

/**
 * Refusals this node was told of, until their Retry-After. Bounded: a flood of distinct keys only
 * empties it, which costs a round trip per request again, never a wrong answer.
 */
class LocalRefusals {
  readonly #until = new Map<string, number>();

  remember(key: string, seconds: number): void {
    if (this.#until.size >= 10_000) this.#until.clear();
    this.#until.set(key, Date.now() + seconds * 1000);
  }

  remaining(key: string): number | undefined {
    const until = this.#until.get(key);
    if (until === undefined) return undefined;
    const left = until - Date.now();
    if (left > 0) return Math.ceil(left / 1000);
    this.#until.delete(key);
    return undefined;
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
