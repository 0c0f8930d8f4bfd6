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

/** Ids are UUIDs: anything else is no user, and must not reach PostgreSQL's uuid cast. */
export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
