import type { User } from '../../users/user.ts';

/** The user as the JSON APIs show it: no hash, no stamp, no counters. */
export function userJson(user: User) {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    groups: user.groups,
    status: user.status,
    emailVerified: user.emailVerified,
    hasPassword: user.hasPassword,
    lastLoginAt: user.lastLoginAt?.toISOString() ?? null,
  };
}
