import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { randomToken } from '../crypto/secret-box.ts';
import type { Database } from '../db/database.ts';
import type { User, UserStatus } from './user.ts';
import { type AttemptQueries, attemptQueries } from './user-attempt-queries.ts';
import { isUuid, toUser, type UserRow } from './user-row.ts';
import { searchUserRows, type UserSearch } from './user-search.ts';

export { toUser, type UserRow } from './user-row.ts';
export type { UserSearch } from './user-search.ts';

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

export interface AttemptState {
  failedCount: number;
  lockoutEnd: Date | null;
  /** Read under the same lock, so a password attempt costs no further query. */
  passwordHash: string | null;
}

export interface UserStore extends AttemptQueries {
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
  withTransaction(trx: Knex.Transaction): UserStore;
  /** Runs `work` in one transaction, with this store bound to it. */
  transaction<T>(work: (store: UserStore, trx: Knex.Transaction) => Promise<T>): Promise<T>;
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
    ...attemptQueries(db),
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
    async search(search) {
      const { rows, total } = await searchUserRows(users, search);
      return { users: rows.map(toUser), total };
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
    withTransaction(trx) {
      return createUserStore(trx);
    },
    transaction(work) {
      return db.transaction((trx) => work(createUserStore(trx), trx));
    },
  };
}
