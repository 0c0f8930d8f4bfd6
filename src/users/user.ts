/** A back-office user account as the rest of Gatehouse sees it (no password hash). */
export interface User {
  id: string;
  email: string;
  name: string;
  groups: string[];
  status: UserStatus;
  /** Changes whenever credentials or permissions change; sessions and grants of an older stamp end. */
  securityStamp: string;
  emailVerified: boolean;
  hasPassword: boolean;
  /**
   * An administrator allows this user a local password although they have none (an upstream-only
   * user may then set one through "Forgot password"; never under DenyLocalLogin).
   */
  localPasswordAllowed: boolean;
  failedCount: number;
  lockoutEnd: Date | null;
  lastLoginAt: Date | null;
  /** The language the user last chose (a locale of `locales/`); emails to them are written in it. */
  locale: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type UserStatus = 'invited' | 'active' | 'disabled';

export const ADMIN_GROUP = 'admin';

export function isLockedOut(user: Pick<User, 'lockoutEnd'>, now = new Date()): boolean {
  return user.lockoutEnd !== null && user.lockoutEnd > now;
}
