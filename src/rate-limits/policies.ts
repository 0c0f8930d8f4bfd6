/**
 * Every rate limit of Gatehouse, in one place: what it counts, per what, and its default. Each has a
 * setting `RATE_LIMIT_<NAME>` (`<count>/<seconds>`, or `off`), so an operator can tune any of them.
 *
 * The defaults leave room for people (a typo, a second email, an office behind one address) and
 * stop scripted guessing long before it can succeed: together with lockout (5 wrong passwords per
 * account) and 128-bit link tokens, guessing stays hopeless.
 */
export const RATE_LIMIT_POLICIES = {
  /** Failed password sign-ins from one address (password spraying across many accounts). */
  SIGN_IN_FAILURES_PER_IP: { limit: 20, windowSeconds: 600, per: 'ip' },
  /** Password sign-in attempts for one account, from anywhere. */
  SIGN_IN_PER_ACCOUNT: { limit: 10, windowSeconds: 300, per: 'account' },
  /** Second-factor code attempts from one address. */
  TWO_FACTOR_PER_IP: { limit: 30, windowSeconds: 300, per: 'ip' },
  /**
   * Second-factor codes checked for one account, from anywhere (sign-in, enrolment, turning it off).
   * Wrong codes at sign-in also count towards lockout; this also bounds the right-password attacker
   * who spreads guesses over many addresses and the enrolment check, which lockout does not count.
   */
  TWO_FACTOR_PER_ACCOUNT: { limit: 10, windowSeconds: 300, per: 'account' },
  /** "Send me a code" emails from one address. */
  EMAIL_CODE_PER_IP: { limit: 10, windowSeconds: 600, per: 'ip' },
  /** "Send me a code" emails to one account, whoever asks (no mail-bombing a user from many addresses). */
  EMAIL_CODE_PER_ACCOUNT: { limit: 5, windowSeconds: 600, per: 'account' },
  /** Password-reset requests for one email address (each sends an email). */
  PASSWORD_RESET_PER_EMAIL: { limit: 3, windowSeconds: 3600, per: 'account' },
  /** Password-reset requests from one address. */
  PASSWORD_RESET_PER_IP: { limit: 10, windowSeconds: 3600, per: 'ip' },
  /** Invitation, reset and first-run link redemptions (opening or submitting one) from one address. */
  LINK_REDEMPTION_PER_IP: { limit: 30, windowSeconds: 600, per: 'ip' },
  /** Returns from upstream providers (sign-in, logout, back-channel logout) from one address. */
  EXTERNAL_CALLBACK_PER_IP: { limit: 60, windowSeconds: 300, per: 'ip' },
  /**
   * Device codes typed at /device from one address: each try is a guess at someone's code (≈34
   * bits, valid ten minutes), and a person needs two posts per device (the code, then confirm).
   */
  DEVICE_CODE_PER_IP: { limit: 20, windowSeconds: 600, per: 'ip' },
  /**
   * Token endpoint requests per client (from the Basic credentials; per address without them),
   * counted over RATE_LIMIT_SHARDS rows (below), so parallel requests may overshoot it a little.
   */
  TOKEN_ENDPOINT_PER_CLIENT: { limit: 600, windowSeconds: 60, per: 'client' },
} as const satisfies Record<string, RateLimitPolicy>;

/**
 * Rows a limit's count is spread over, for the limits counted on a hot path; every other limit
 * keeps one row per key. Default: TOKEN_ENDPOINT_PER_CLIENT on 8 rows.
 *
 * Why: the per-client count is a gate of every token request's write statement, and an UPSERT
 * holds its row's lock until the commit, across the token insert's WAL flush. With one row, all
 * parallel token requests of one client queued behind each other on that lock (705 tokens/s with
 * the limit on vs 924/s with it `off`, in the bench's client_credentials run on a quiet machine). A request now counts on one
 * of 8 rows, picked at random, and the verdict is the sum of all 8 (same sliding-window formula),
 * read in the same statement.
 *
 * What it costs: the other rows are read from the statement's snapshot, without their locks, so a
 * request does not see hits that other requests have counted but not yet committed. The overshoot
 * is bounded by that: at most as many requests over the limit as there are requests of the client
 * in flight at once (one per connection it uses), and sequential requests are counted exactly.
 * Every request is still counted (refused ones too), so the next ones see them all. 8 makes a
 * collision of two parallel requests on one row rare at the bench's 16 connections, and the sum
 * reads 7 more rows by primary key, which is cheap.
 */
export const RATE_LIMIT_SHARDS: Partial<Record<RateLimitName, number>> = {
  TOKEN_ENDPOINT_PER_CLIENT: 8,
};

export interface RateLimitPolicy {
  limit: number;
  windowSeconds: number;
  per: 'ip' | 'account' | 'client';
}

export type RateLimitName = keyof typeof RATE_LIMIT_POLICIES;

/** The limits in force: a policy's count and window, or null when its setting says `off`. */
export type RateLimitSettings = Record<RateLimitName, { limit: number; windowSeconds: number } | null>;

export const RATE_LIMIT_NAMES = Object.keys(RATE_LIMIT_POLICIES) as RateLimitName[];

/** `20/600` (20 per 600 seconds) or `off`; undefined when the value is neither. */
export function parseRateLimit(value: string): { limit: number; windowSeconds: number } | null | undefined {
  if (value.trim().toLowerCase() === 'off') return null;
  const match = /^\s*(\d{1,7})\s*\/\s*(\d{1,6})\s*s?\s*$/.exec(value);
  if (!match) return undefined;
  const limit = Number(match[1]);
  const windowSeconds = Number(match[2]);
  if (limit < 1 || windowSeconds < 1 || windowSeconds > 86_400) return undefined;
  return { limit, windowSeconds };
}
