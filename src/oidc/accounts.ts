import type { Account, FindAccount } from 'oidc-provider';
import type { User } from '../users/user.ts';
import { currentScope } from './adapter-scope.ts';
import type { TokenGuards } from './token-guards.ts';

/** The claims each scope releases; `sub` always comes with `openid`. */
export const SCOPE_CLAIMS = {
  profile: ['name', 'updated_at'],
  email: ['email', 'email_verified'],
  groups: ['groups'],
} as const;

/** Where accounts are read from: the user store (oidc-provider is built before the user manager). */
export interface AccountLookup {
  findById(id: string): Promise<User | undefined>;
}

/**
 * Looks up the account behind a session or token. A user who was deleted or disabled has no
 * account any more, which makes oidc-provider reject their tokens and sessions; at the token
 * endpoint, a user the token guards refuse (the application's groups, the upstream) has none either,
 * so the code or refresh token is refused with invalid_grant.
 */
export function createFindAccount(users: AccountLookup, guards?: TokenGuards): FindAccount {
  return async (ctx, sub, source) => {
    // Read with the token or session that named it, in the same statement (PayloadReader).
    const user = currentScope()?.account(sub) ?? (await users.findById(sub));
    if (user?.status !== 'active') return undefined;
    if (guards && !(await guards.allow(ctx, user, source))) return undefined;
    return toAccount(user);
  };
}

export function toAccount(user: User): Account {
  return {
    accountId: user.id,
    async claims() {
      return {
        sub: user.id,
        name: user.name || undefined,
        email: user.email,
        email_verified: user.emailVerified,
        groups: user.groups,
        updated_at: Math.floor(user.updatedAt.getTime() / 1000),
      };
    },
  };
}
