import type { User } from '../../users/user.ts';
import { userJson } from '../auth/user-json.ts';

/** The user as administrators see it: the public fields plus the lockout state and dates. */
export function adminUserJson(user: User) {
  return {
    ...userJson(user),
    localPasswordAllowed: user.localPasswordAllowed,
    failedLoginAttempts: user.failedCount,
    lockedOut: user.lockoutEnd !== null && user.lockoutEnd > new Date(),
    lockoutEnd: user.lockoutEnd?.toISOString() ?? null,
    locale: user.locale,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}
