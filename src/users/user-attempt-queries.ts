import type { Knex } from 'knex';
import type { Database } from '../db/database.ts';
import type { User } from './user.ts';
import { isUuid, toUser, type UserRow } from './user-row.ts';

/** The statements that count, reserve and release credential attempts and lock accounts. */
export interface AttemptQueries {
  /**
   * Counts a failed attempt in one statement, so concurrent failures on several nodes all count.
   * Reaching `maxAttempts` locks the account for `lockoutSeconds` and starts the count again.
   */
  registerFailedAttempt(
    id: string,
    maxAttempts: number,
    lockoutSeconds: number,
  ): Promise<{ lockedNow: boolean }>;
  /**
   * Reserves one credential attempt (a password or a second-factor code) in one statement: the
   * attempt is counted as a failure before it is checked, and only while the account is not locked
   * and below `maxAttempts`, so parallel attempts cannot all pass a limit that each read before
   * the others counted. Returns the user as the reservation found it (without its own count),
   * `locked` when no attempt is allowed now, `disabled`, or undefined for no such user.
   * `hasSecondFactor` (a confirmed one, read in the same statement from the two-factor table of this
   * domain) spares a sign-in without one the round trip of asking.
   */
  reserveAttempt(
    by: { id: string } | { email: string },
    maxAttempts: number,
  ): Promise<
    | { user: User; passwordHash: string | null; hasSecondFactor: boolean }
    | { refused: 'locked' | 'disabled'; userId: string }
    | undefined
  >;
  /** The reserved attempt failed: locks the account if the count has reached the limit. */
  failAttempt(id: string, maxAttempts: number, lockoutSeconds: number): Promise<{ lockedNow: boolean }>;
  /** The reserved attempt was right but the sign-in goes on: it no longer counts. */
  releaseAttempt(id: string): Promise<void>;
  /**
   * The whole sign-in succeeded: the count starts again, a lapsed lockout goes, the time is noted,
   * and the language the sign-in was shown in becomes the user's.
   */
  completeSignIn(id: string, locale?: string): Promise<void>;
  /** Clears the failure count; true when there was one to clear. */
  resetFailedAttempts(id: string): Promise<boolean>;
  setLockoutEnd(id: string, end: Date | null): Promise<void>;
}

/**
 * The attempt counting of the user store (user-store.ts spreads them into it): each one statement,
 * so that parallel attempts on several nodes all count.
 */
export function attemptQueries(db: Database | Knex.Transaction): AttemptQueries {
  const users = () => db<UserRow>('users');
  return {
    async registerFailedAttempt(id, maxAttempts, lockoutSeconds) {
      const result = await db.raw(
        `UPDATE users SET
           failed_count = CASE WHEN failed_count + 1 >= :max THEN 0 ELSE failed_count + 1 END,
           lockout_end = CASE WHEN failed_count + 1 >= :max THEN now() + make_interval(secs => :secs) ELSE lockout_end END
         WHERE id = :id
         RETURNING (failed_count = 0) AS locked_now`,
        { id, max: maxAttempts, secs: lockoutSeconds },
      );
      const row = (result as { rows: Array<{ locked_now: boolean }> }).rows[0];
      return { lockedNow: row?.locked_now ?? false };
    },
    async reserveAttempt(by, maxAttempts) {
      if ('id' in by && !isUuid(by.id)) return undefined;
      const [where, value] = 'id' in by ? ['id = :value', by.id] : ['lower(email) = lower(:value)', by.email];
      const result = await db.raw(
        `WITH target AS (SELECT id, status FROM users WHERE ${where}),
         reserved AS (
           UPDATE users SET failed_count = users.failed_count + 1
           FROM target
           WHERE users.id = target.id AND target.status <> 'disabled'
             AND (users.lockout_end IS NULL OR users.lockout_end <= now())
             AND users.failed_count < :max
           RETURNING users.*)
         SELECT target.id AS target_id, target.status AS target_status, reserved.*,
           EXISTS (SELECT 1 FROM user_two_factor f WHERE f.user_id = target.id AND f.confirmed_at IS NOT NULL)
             AS has_second_factor
         FROM target LEFT JOIN reserved ON true`,
        { value, max: maxAttempts },
      );
      type Row = UserRow & {
        target_id: string;
        target_status: string;
        id: string | null;
        has_second_factor: boolean;
      };
      const row = (result as { rows: Row[] }).rows[0];
      if (!row) return undefined;
      if (row.target_status === 'disabled') return { refused: 'disabled', userId: row.target_id };
      if (row.id === null) return { refused: 'locked', userId: row.target_id };
      // The user as it was before this attempt's own count.
      return {
        user: toUser({ ...row, failed_count: row.failed_count - 1 }),
        passwordHash: row.password_hash,
        hasSecondFactor: row.has_second_factor,
      };
    },
    async failAttempt(id, maxAttempts, lockoutSeconds) {
      const result = await db.raw(
        `UPDATE users SET
           lockout_end = CASE WHEN failed_count >= :max THEN now() + make_interval(secs => :secs) ELSE lockout_end END,
           failed_count = CASE WHEN failed_count >= :max THEN 0 ELSE failed_count END
         WHERE id = :id
         RETURNING (failed_count = 0 AND lockout_end > now()) AS locked_now`,
        { id, max: maxAttempts, secs: lockoutSeconds },
      );
      const row = (result as { rows: Array<{ locked_now: boolean }> }).rows[0];
      return { lockedNow: row?.locked_now ?? false };
    },
    async releaseAttempt(id) {
      await users()
        .where({ id })
        .update({ failed_count: db.raw('greatest(failed_count - 1, 0)') });
    },
    async completeSignIn(id, locale) {
      await users()
        .where({ id })
        .update({
          failed_count: 0,
          lockout_end: null,
          last_login_at: db.fn.now(),
          ...(locale ? { locale } : {}),
        });
    },
    async resetFailedAttempts(id) {
      const changed = await users().where({ id }).where('failed_count', '>', 0).update({ failed_count: 0 });
      return changed > 0;
    },
    async setLockoutEnd(id, end) {
      await users()
        .where({ id })
        .update({ lockout_end: end, ...(end === null ? { failed_count: 0 } : {}) });
    },
  };
}
