import type { User } from './user.ts';
import { toUser, type UserRow } from './user-row.ts';

/**
 * Users read inside another statement: the OIDC adapter fetches a token or session together with
 * the account it names, so `findAccount` needs no round trip of its own (issue 15: accounts are
 * loaded once per request). The whole row but the hash, mapped by the user store's own `toUser`,
 * so a new column reaches both reads alike.
 */
export interface AccountRows {
  /** A SELECT of `id` (text) and `account` (jsonb) for the user ids in `ids`, a text[] expression. */
  sql(ids: string): string;
  parse(account: Record<string, unknown>): User;
}

const UUID = "'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'";

/** Timestamps arrive as ISO text in JSON; the columns named so become Dates again, as pg makes them. */
const TIMESTAMP_COLUMN = /_(at|end)$/;

export const ACCOUNT_ROWS: AccountRows = {
  // Ids that are not uuids are left out before the cast (an account id from elsewhere cannot make
  // the statement fail); `= ANY(ARRAY(…))` keeps it a primary-key lookup. Only whether there is a
  // password hash travels, never the hash.
  sql: (ids) => `SELECT u.id::text AS id,
      (to_jsonb(u) - 'password_hash') || jsonb_build_object('has_password', u.password_hash IS NOT NULL) AS account
    FROM users u
    WHERE u.id = ANY(ARRAY(SELECT a::uuid FROM unnest(${ids}) a WHERE a ~* ${UUID}))`,
  parse: (account) => {
    const row: Record<string, unknown> = { ...account, password_hash: account.has_password ? '' : null };
    for (const [column, value] of Object.entries(row)) {
      if (TIMESTAMP_COLUMN.test(column) && typeof value === 'string') row[column] = new Date(value);
    }
    return toUser(row as unknown as UserRow);
  },
};
