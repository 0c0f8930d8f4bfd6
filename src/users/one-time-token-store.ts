import type { Knex } from 'knex';
import { hashToken, randomToken } from '../crypto/secret-box.ts';
import type { Database } from '../db/database.ts';

export type TokenPurpose =
  | 'setup'
  | 'invite'
  | 'password_reset'
  | 'two_factor_email'
  | 'upstream_logout_jti'
  | 'link_confirmation';

export interface RedeemedToken {
  userId: string | null;
  purpose: TokenPurpose;
  /** The user's security stamp when the token was issued, for tokens bound to it. */
  securityStamp: string | null;
  /** An invitation the administrator allowed to be accepted upstream under another address. */
  allowOtherEmail: boolean;
}

/**
 * Single-use links: 256 random bits, only the SHA-256 stored, each with an expiry. Redeeming is one
 * UPDATE, so two clicks on the same link cannot both succeed.
 */
export interface OneTimeTokenStore {
  /** Stores a new token (random unless `token` is given, e.g. a short code bound to a user) and returns it. */
  issue(
    purpose: TokenPurpose,
    userId: string | null,
    ttlSeconds: number,
    token?: string,
    options?: { securityStamp?: string; allowOtherEmail?: boolean },
  ): Promise<string>;
  /** Checks a token without using it up (to show a form). */
  peek(purpose: TokenPurpose, token: string): Promise<RedeemedToken | undefined>;
  redeem(purpose: TokenPurpose, token: string): Promise<RedeemedToken | undefined>;
  /** Voids every open token of this purpose for the user (or the user-less ones when null). */
  revokeAll(purpose: TokenPurpose, userId: string | null): Promise<void>;
  withTransaction(trx: Knex.Transaction): OneTimeTokenStore;
  /** Forgets tokens that expired a week ago (kept that long for the audit trail of their use). */
  purgeExpired(): Promise<number>;
}

interface TokenRow {
  user_id: string | null;
  purpose: TokenPurpose;
  security_stamp: string | null;
  allow_other_email: boolean;
}

export function createOneTimeTokenStore(db: Database | Knex.Transaction): OneTimeTokenStore {
  const open = (purpose: TokenPurpose, token: string) =>
    db('one_time_tokens')
      .where({ token_hash: hashToken(token), purpose })
      .whereNull('consumed_at')
      .andWhere('expires_at', '>', db.fn.now());
  const toRedeemed = (row: TokenRow | undefined) =>
    row
      ? {
          userId: row.user_id,
          purpose: row.purpose,
          securityStamp: row.security_stamp,
          allowOtherEmail: row.allow_other_email,
        }
      : undefined;
  const columns = ['user_id', 'purpose', 'security_stamp', 'allow_other_email'];

  return {
    async issue(purpose, userId, ttlSeconds, token = randomToken(32), options = {}) {
      await db('one_time_tokens').insert({
        token_hash: hashToken(token),
        purpose,
        user_id: userId,
        security_stamp: options.securityStamp ?? null,
        allow_other_email: options.allowOtherEmail ?? false,
        expires_at: db.raw('now() + make_interval(secs => ?)', [ttlSeconds]),
      });
      return token;
    },
    async peek(purpose, token) {
      return toRedeemed(await open(purpose, token).first(...columns));
    },
    async redeem(purpose, token) {
      const [row] = await open(purpose, token).update({ consumed_at: db.fn.now() }).returning(columns);
      return toRedeemed(row);
    },
    async revokeAll(purpose, userId) {
      const q = db('one_time_tokens').where({ purpose }).whereNull('consumed_at');
      await (userId === null ? q.whereNull('user_id') : q.where({ user_id: userId })).update({
        consumed_at: db.fn.now(),
      });
    },
    withTransaction(trx) {
      return createOneTimeTokenStore(trx);
    },
    async purgeExpired() {
      return db('one_time_tokens').where('expires_at', '<', db.raw("now() - interval '7 days'")).delete();
    },
  };
}
