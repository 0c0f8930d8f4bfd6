import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { randomToken } from '../crypto/secret-box.ts';
import type { Database } from '../db/database.ts';
import type { User, UserStatus } from './user.ts';

export interface UserRow {
  id: string;
  email: string;
  name: string;
  groups: string[];
  password_hash: string | null;
  status: UserStatus;
  security_stamp: string;
  email_verified: boolean;
  local_password_allowed: boolean;
  failed_count: number;
  lockout_end: Date | null;
  last_login_at: Date | null;
  locale: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface NewUser {
  email: string;
  name: string;
  groups: string[];
  passwordHash: string | null;
  status: UserStatus;
  emailVerified?: boolean;
  locale?: string | null | undefined;
}

export interface UserChanges {
  email?: string;
  name?: string;
  groups?: string[];
  status?: UserStatus;
  passwordHash?: string | null;
  emailVerified?: boolean;
  localPasswordAllowed?: boolean;
  locale?: string;
}

export interface UserSearch {
  /** Part of the email address or name, any case. */
  query?: string | undefined;
  group?: string | undefined;
  status?: UserStatus | undefined;
  offset: number;
  limit: number;
}

export interface AttemptState {
  failedCount: number;
  lockoutEnd: Date | null;
  /** Read under the same lock, so a password attempt costs no further query. */
  passwordHash: string | null;
}

export interface UserStore {
  findById(id: string): Promise<User | undefined>;
  findByEmail(email: string): Promise<User | undefined>;
  /** The hash is only ever read for verification, never returned with the user. */
  findPasswordHash(id: string): Promise<string | null>;
  /**
   * The hash read together with `user` when this store loaded it (one round trip per sign-in
   * instead of two); otherwise it is read now.
   */
  passwordHashOf(user: User): Promise<string | null>;
  list(): Promise<User[]>;
  /** One page of users by email, and how many match in all. */
  search(search: UserSearch): Promise<{ users: User[]; total: number }>;
  insert(user: NewUser): Promise<User>;
  /** Applies changes; `bumpStamp` issues a new security stamp in the same statement. */
  update(id: string, changes: UserChanges, options?: { bumpStamp?: boolean }): Promise<User | undefined>;
  delete(id: string): Promise<boolean>;
  countInGroup(group: string): Promise<number>;
  recordSignIn(id: string): Promise<void>;
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
  withTransaction(trx: Knex.Transaction): UserStore;
  /** Runs `work` in one transaction, with this store bound to it. */
  transaction<T>(work: (store: UserStore, trx: Knex.Transaction) => Promise<T>): Promise<T>;
}

/** A `users` row as the rest of Gatehouse sees it (also for rows read elsewhere: account-rows.ts). */
export function toUser(r: UserRow): User {
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    groups: r.groups,
    status: r.status,
    securityStamp: r.security_stamp,
    emailVerified: r.email_verified,
    hasPassword: r.password_hash !== null,
    localPasswordAllowed: r.local_password_allowed,
    failedCount: r.failed_count,
    lockoutEnd: r.lockout_end,
    lastLoginAt: r.last_login_at,
    locale: r.locale ?? null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function createUserStore(db: Database | Knex.Transaction): UserStore {
  const users = () => db<UserRow>('users');
  const hashes = new WeakMap<User, string | null>();
  const withHash = (row: UserRow): User => {
    const user = toUser(row);
    hashes.set(user, row.password_hash);
    return user;
  };

  return {
    async findById(id) {
      if (!isUuid(id)) return undefined;
      const row = await users().where({ id }).first();
      return row ? withHash(row) : undefined;
    },
    async findByEmail(email) {
      const row = await users().whereRaw('lower(email) = lower(?)', [email]).first();
      return row ? withHash(row) : undefined;
    },
    async passwordHashOf(user) {
      const known = hashes.get(user);
      return known !== undefined ? known : this.findPasswordHash(user.id);
    },
    async findPasswordHash(id) {
      const row = await users().where({ id }).select('password_hash').first();
      return row?.password_hash ?? null;
    },
    async list() {
      return (await users().orderBy('email')).map(toUser);
    },
    async search({ query, group, status, offset, limit }) {
      const filtered = users().where((q) => {
        if (query) {
          const like = `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
          q.where((w) => w.whereILike('email', like).orWhereILike('name', like));
        }
        // `@>` (not `= ANY`) so that the GIN index on groups can answer it.
        if (group) q.whereRaw('groups @> ARRAY[?]::text[]', [group]);
        if (status) q.where({ status });
      });
      const [rows, count] = await Promise.all([
        filtered.clone().orderBy('email').offset(offset).limit(limit),
        filtered.clone().count<{ count: string }[]>('* as count').first(),
      ]);
      return { users: rows.map(toUser), total: Number(count?.count ?? 0) };
    },
    async insert(user) {
      const [row] = await users()
        .insert({
          id: randomUUID(),
          email: user.email,
          name: user.name,
          groups: user.groups,
          password_hash: user.passwordHash,
          status: user.status,
          email_verified: user.emailVerified ?? false,
          locale: user.locale ?? null,
          security_stamp: randomToken(16),
        })
        .returning('*');
      if (!row) throw new Error('insert returned no row');
      return toUser(row);
    },
    async update(id, changes, options = {}) {
      const patch: Record<string, unknown> = { updated_at: db.fn.now() };
      if (changes.email !== undefined) patch.email = changes.email;
      if (changes.name !== undefined) patch.name = changes.name;
      if (changes.groups !== undefined) patch.groups = changes.groups;
      if (changes.status !== undefined) patch.status = changes.status;
      if (changes.emailVerified !== undefined) patch.email_verified = changes.emailVerified;
      if (changes.passwordHash !== undefined) patch.password_hash = changes.passwordHash;
      if (changes.localPasswordAllowed !== undefined)
        patch.local_password_allowed = changes.localPasswordAllowed;
      if (changes.locale !== undefined) patch.locale = changes.locale;
      if (options.bumpStamp) patch.security_stamp = randomToken(16);
      const [row] = await users().where({ id }).update(patch).returning('*');
      return row ? toUser(row) : undefined;
    },
    async delete(id) {
      return isUuid(id) && (await users().where({ id }).delete()) > 0;
    },
    async countInGroup(group) {
      const row = await users()
        .whereRaw('? = ANY(groups)', [group])
        .count<{ count: string }[]>('* as count')
        .first();
      return Number(row?.count ?? 0);
    },
    async recordSignIn(id) {
      await users().where({ id }).update({ last_login_at: db.fn.now() });
    },
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
    withTransaction(trx) {
      return createUserStore(trx);
    },
    transaction(work) {
      return db.transaction((trx) => work(createUserStore(trx), trx));
    },
  };
}

function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
