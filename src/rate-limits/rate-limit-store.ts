import { randomInt } from 'node:crypto';
import type { Knex } from 'knex';
import type { Database } from '../db/database.ts';

/** A key's counts in the current and the previous window, and how far into the current one we are. */
export interface WindowCounts {
  previous: number;
  current: number;
  elapsedSeconds: number;
}

/** One limit to apply: `hit` counts a request, `peek` asks whether one more would still fit. */
export interface LimitStep {
  kind: 'hit' | 'peek';
  key: string;
  limit: number;
  windowSeconds: number;
  /**
   * Rows the key's count is spread over (`<key>/0` … `<key>/<shards-1>`; 1 or absent: the key's own
   * row). A hit counts on one row picked at random and the verdict sums them all (./policies.ts,
   * RATE_LIMIT_SHARDS, says why and what it costs in exactness).
   */
  shards?: number;
}

/** A step's counts and the database's verdict (same formula as `judge` in rate-limits.ts). */
export interface StepResult extends WindowCounts {
  allowed: boolean;
}

/** A step as CTEs (`name` holds its counts and verdict) to run inside a larger statement. */
export interface StepSql {
  ctes: string;
  bindings: Knex.RawBinding[];
}

export interface RateLimitStore {
  /** Counts one hit and answers the counts including it: one atomic statement, shared by every node. */
  hit(key: string, windowSeconds: number, shards?: number): Promise<WindowCounts>;
  /**
   * Several limits in ONE statement, in order: a step runs only when every step before it allowed
   * the request (as separate statements in a row would have). Skipped steps answer undefined.
   */
  applyAll(steps: LimitStep[]): Promise<Array<StepResult | undefined>>;
  /** Drops keys (each shard's row alike) nobody has hit for two days (longer than any window). */
  purge(): Promise<number>;
}

// The window a moment falls in: epoch seconds rounded down to a multiple of the window length, on
// the database's clock, so every node agrees.
const WINDOW_START = 'to_timestamp(floor(extract(epoch from now()) / ?::int) * ?::int)';

/**
 * The sliding-window estimate in SQL, so that a statement can refuse its own writes (the token
 * gate). `extra` is 1 for a peek: would one more request still fit?
 */
const ALLOWED = (extra: 0 | 1) =>
  `(previous_count * (1 - least(greatest(elapsed, 0), ?::float8) / ?::float8) + current_count + ${extra}) <= ?`;

/**
 * One hit as CTEs named `name` (PostgreSQL allows data-modifying statements only at the top of a
 * WITH): rolls the windows and counts, only when `guard` holds; `name` has the counts and verdict.
 * A sharded key counts on one of its rows and adds the others' counts (sliding-window logic per
 * row, as `peek`), read from the statement's snapshot without locking them: that is what keeps
 * parallel requests of one client off a single row lock, and why the sum may miss hits still in
 * flight on other rows (./policies.ts, RATE_LIMIT_SHARDS).
 */
export function hitStepSql(name: string, step: LimitStep, guard: string): StepSql {
  const w = step.windowSeconds;
  const shards = shardKeys(step);
  const own = shards.length ? (shards[randomInt(shards.length)] ?? step.key) : step.key;
  const others = shards.filter((k) => k !== own);
  const upsert = `${name}_hit AS (
        INSERT INTO rate_limit_hits AS r (key, window_start, previous_count, current_count)
        SELECT ?, ${WINDOW_START}, 0, 1 WHERE ${guard}
        ON CONFLICT (key) DO UPDATE SET
          previous_count = CASE
            WHEN r.window_start = excluded.window_start THEN r.previous_count
            WHEN r.window_start = excluded.window_start - make_interval(secs => ?::int) THEN r.current_count
            ELSE 0 END,
          current_count = CASE WHEN r.window_start = excluded.window_start THEN r.current_count + 1 ELSE 1 END,
          window_start = excluded.window_start
        RETURNING previous_count, current_count, window_start,
          extract(epoch from now() - window_start)::float8 AS elapsed)`;
  const upsertBindings = [own, w, w, w];
  if (!others.length) {
    return {
      ctes: `${upsert},
      ${name} AS (SELECT previous_count, current_count, elapsed, ${ALLOWED(0)} AS allowed FROM ${name}_hit)`,
      bindings: [...upsertBindings, w, w, step.limit],
    };
  }
  return {
    ctes: `${upsert},
      ${name} AS (SELECT previous_count, current_count, elapsed, ${ALLOWED(0)} AS allowed FROM (
        SELECT h.previous_count + coalesce(sum(CASE
                 WHEN r.window_start = h.window_start THEN r.previous_count
                 WHEN r.window_start = h.window_start - make_interval(secs => ?::int) THEN r.current_count
                 END), 0) AS previous_count,
               h.current_count + coalesce(sum(CASE WHEN r.window_start = h.window_start THEN r.current_count END), 0)
                 AS current_count,
               h.elapsed
          FROM ${name}_hit h LEFT JOIN rate_limit_hits r ON r.key IN (${others.map(() => '?').join(', ')})
         GROUP BY h.previous_count, h.current_count, h.elapsed
      ) summed)`,
    bindings: [...upsertBindings, w, w, step.limit, w, ...others],
  };
}

/** Whether one more would fit: every row of the key (all its shards), read without counting. */
function peekStepSql(name: string, step: LimitStep, guard: string): StepSql {
  const w = step.windowSeconds;
  const keys = shardKeys(step);
  const rows = keys.length ? keys : [step.key];
  return {
    ctes: `${name} AS (SELECT previous_count, current_count, elapsed, ${ALLOWED(1)} AS allowed FROM (
        SELECT
          coalesce(sum(CASE WHEN r.window_start = ws.at THEN r.previous_count
                        WHEN r.window_start = ws.at - make_interval(secs => ?::int) THEN r.current_count
                        END), 0) AS previous_count,
          coalesce(sum(CASE WHEN r.window_start = ws.at THEN r.current_count END), 0) AS current_count,
          extract(epoch from now() - ws.at)::float8 AS elapsed
        FROM (SELECT ${WINDOW_START} AS at) ws
          LEFT JOIN rate_limit_hits r ON r.key IN (${rows.map(() => '?').join(', ')})
        WHERE ${guard}
        GROUP BY ws.at
      ) seen)`,
    bindings: [w, w, step.limit, w, w, w, ...rows],
  };
}

/** The rows of a sharded key, or none when the key is its own single row. */
function shardKeys(step: LimitStep): string[] {
  const shards = step.shards ?? 1;
  return shards > 1 ? Array.from({ length: shards }, (_, i) => `${step.key}/${i}`) : [];
}

/** Whether every named step allowed the request (a skipped step did not). */
export const allAllowed = (names: string[]): string =>
  names.length ? names.map((n) => `coalesce((SELECT allowed FROM ${n}), false)`).join(' AND ') : 'true';

/**
 * The sliding-window counter (as Cloudflare's and nginx's limiters): a fixed-window count for the
 * current and the previous window, weighted by how much of the previous one still overlaps. One
 * UPSERT rolls the windows and counts the hit, so parallel requests on any node never lose a count.
 */
export function createRateLimitStore(db: Database): RateLimitStore {
  return {
    async hit(key, windowSeconds, shards) {
      // The limit plays no part in the counts; only `judge` in rate-limits.ts reads them.
      const [result] = await this.applyAll([{ kind: 'hit', key, windowSeconds, limit: 0, shards }]);
      return result ?? { previous: 0, current: 0, elapsedSeconds: 0 };
    },
    async applyAll(steps) {
      if (!steps.length) return [];
      const names = steps.map((_, i) => `s${i}`);
      const parts = steps.map((step, i) => {
        const guard = allAllowed(names.slice(0, i));
        const name = names[i] ?? '';
        return step.kind === 'hit' ? hitStepSql(name, step, guard) : peekStepSql(name, step, guard);
      });
      const select = names.map((n, i) => `SELECT ${i} AS step, * FROM ${n}`).join(' UNION ALL ');
      const { rows } = await db.raw<{ rows: Array<CountRow & { step: number }> }>(
        `WITH ${parts.map((p) => p.ctes).join(',\n')} ${select}`,
        parts.flatMap((p) => p.bindings),
      );
      return steps.map((_, i) => {
        const row = rows.find((r) => r.step === i);
        return row && toResult(row);
      });
    },
    async purge() {
      return db('rate_limit_hits').where('window_start', '<', db.raw("now() - interval '2 days'")).delete();
    },
  };
}

export interface CountRow {
  previous_count: number;
  current_count: number;
  elapsed: number;
  allowed: boolean;
}

/** A step's row, also as it comes back through JSON (row_to_json in the token gate). */
export function toResult(row: CountRow | Record<string, unknown>): StepResult {
  return {
    previous: Number(row.previous_count),
    current: Number(row.current_count),
    elapsedSeconds: Number(row.elapsed),
    allowed: row.allowed === true,
  };
}
