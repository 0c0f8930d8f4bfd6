import type { Database } from '../db/database.ts';

/** A key's counts in the current and the previous window, and how far into the current one we are. */
export interface WindowCounts {
  previous: number;
  current: number;
  elapsedSeconds: number;
}

export interface RateLimitStore {
  /** Counts one hit and answers the counts including it: one atomic statement, shared by every node. */
  hit(key: string, windowSeconds: number): Promise<WindowCounts>;
  /** The counts without adding a hit. */
  peek(key: string, windowSeconds: number): Promise<WindowCounts>;
  /** Drops keys nobody has hit for two days (longer than any window). */
  purge(): Promise<number>;
}

// The window a moment falls in: epoch seconds rounded down to a multiple of the window length, on
// the database's clock, so every node agrees.
const WINDOW_START = 'to_timestamp(floor(extract(epoch from now()) / :w) * :w)';

/**
 * The sliding-window counter (as Cloudflare's and nginx's limiters): a fixed-window count for the
 * current and the previous window, weighted by how much of the previous one still overlaps. One
 * UPSERT rolls the windows and counts the hit, so parallel requests on any node never lose a count.
 */
export function createRateLimitStore(db: Database): RateLimitStore {
  return {
    async hit(key, windowSeconds) {
      const { rows } = await db.raw<{ rows: CountRow[] }>(
        `INSERT INTO rate_limit_hits AS r (key, window_start, previous_count, current_count)
         VALUES (:key, ${WINDOW_START}, 0, 1)
         ON CONFLICT (key) DO UPDATE SET
           previous_count = CASE
             WHEN r.window_start = excluded.window_start THEN r.previous_count
             WHEN r.window_start = excluded.window_start - make_interval(secs => :w) THEN r.current_count
             ELSE 0 END,
           current_count = CASE WHEN r.window_start = excluded.window_start THEN r.current_count + 1 ELSE 1 END,
           window_start = excluded.window_start
         RETURNING previous_count, current_count,
           extract(epoch from now() - window_start)::float8 AS elapsed`,
        { key, w: windowSeconds },
      );
      return toCounts(rows[0]);
    },
    async peek(key, windowSeconds) {
      const { rows } = await db.raw<{ rows: CountRow[] }>(
        `SELECT
           CASE WHEN window_start = ${WINDOW_START} THEN previous_count
                WHEN window_start = ${WINDOW_START} - make_interval(secs => :w) THEN current_count
                ELSE 0 END AS previous_count,
           CASE WHEN window_start = ${WINDOW_START} THEN current_count ELSE 0 END AS current_count,
           extract(epoch from now() - ${WINDOW_START})::float8 AS elapsed
         FROM rate_limit_hits WHERE key = :key`,
        { key, w: windowSeconds },
      );
      return rows[0] ? toCounts(rows[0]) : { previous: 0, current: 0, elapsedSeconds: 0 };
    },
    async purge() {
      return db('rate_limit_hits').where('window_start', '<', db.raw("now() - interval '2 days'")).delete();
    },
  };
}

interface CountRow {
  previous_count: number;
  current_count: number;
  elapsed: number;
}

function toCounts(row: CountRow | undefined): WindowCounts {
  return {
    previous: Number(row?.previous_count ?? 0),
    current: Number(row?.current_count ?? 0),
    elapsedSeconds: Number(row?.elapsed ?? 0),
  };
}
