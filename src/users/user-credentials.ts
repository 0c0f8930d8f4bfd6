import type { LockoutSettings, PasswordSettings } from '../config/settings.ts';
import { AppError } from '../errors/app-error.ts';
import { requestedLocale } from '../i18n/request-locale.ts';
import type { Wording } from '../i18n/wording.ts';
import type { NotificationBus } from '../notifications/notification-bus.ts';
import type { Actor, LogoutReason } from '../notifications/notification-types.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { passwordRejected, passwordRuleReasons } from './password-policy.ts';
import { isLockedOut, type User } from './user.ts';
import type { UserStore } from './user-store.ts';

/**
 * The port through which the user manager ends a user's sessions and revokes their grants when
 * credentials or permissions change. oidc/session-service.ts implements it; users/ knows nothing
 * of oidc-provider.
 */
export interface SessionRevoker {
  /** Ends every session of the user except `exceptSessionId`; returns how many ended. */
  endAllFor(
    userId: string,
    options?: { exceptSessionId?: string | undefined; reason?: LogoutReason; actor?: Actor | undefined },
  ): Promise<number>;
}

export interface UserManagerDeps {
  users: UserStore;
  hasher: PasswordHasher;
  notifications: NotificationBus;
  sessions: SessionRevoker;
  passwords: PasswordSettings;
  lockout: LockoutSettings;
}

/**
 * What one credential attempt came to, and the user as the attempt found them (for `ok` and
 * `wrong`). `locked`: no attempt is allowed now; `unknown`: no such user.
 */
export type AttemptResult =
  | { outcome: 'ok' | 'wrong'; user: User }
  | { outcome: 'locked' | 'disabled'; userId: string; user?: undefined }
  | { outcome: 'unknown'; user?: undefined };

export interface PasswordValidationResult {
  ok: boolean;
  /** Why not, in English. */
  errors: string[];
  /** The same with catalogue keys, so that pages show them in the reader's language (optional). */
  reasons?: Wording[] | undefined;
}

/**
 * The credential half of the UserManager (user-manager.ts extends it): password rules and checks,
 * counted attempts, lockout and unlock. A class of its own so that the account changes read apart
 * from the attempt counting; integrators still subclass UserManager and may override any of these.
 */
export class UserCredentials {
  protected readonly deps: UserManagerDeps;
  readonly #secondFactorSeen = new WeakMap<User, boolean>();

  constructor(deps: UserManagerDeps) {
    this.deps = deps;
  }

  protected get users(): UserStore {
    return this.deps.users;
  }

  protected get notifications(): NotificationBus {
    return this.deps.notifications;
  }

  get lockoutSettings(): LockoutSettings {
    return this.deps.lockout;
  }

  get passwordSettings(): PasswordSettings {
    return this.deps.passwords;
  }

  async validatePassword(password: string): Promise<PasswordValidationResult> {
    const reasons = passwordRuleReasons(password, this.deps.passwords);
    return { ok: reasons.length === 0, errors: reasons.map((r) => r.message), reasons };
  }

  async checkPassword(user: User, password: string): Promise<boolean> {
    return this.verifyPassword(await this.users.findPasswordHash(user.id), password);
  }

  /** One argon2 verification, against the dummy hash when there is none (same time either way). */
  verifyPassword(hash: string | null, password: string): Promise<boolean> {
    if (!hash) return this.deps.hasher.verifyAgainstDummy(password);
    return this.deps.hasher.verify(hash, password);
  }

  /** Spends the time of one verification without a user, so unknown accounts answer as slowly. */
  async checkPasswordOfUnknownUser(password: string): Promise<false> {
    return this.deps.hasher.verifyAgainstDummy(password);
  }

  isLockedOut(user: User): boolean {
    return isLockedOut(user);
  }

  /**
   * One attempt at a credential (a password or a second-factor code), reserved in one statement
   * before it is checked (`UserStore.reserveAttempt`): parallel guesses cannot get past the limit.
   * A wrong answer stays counted and may lock; a right one stays reserved until the sign-in
   * completes (`completeSignIn` resets the count) or goes on to another step (`releaseAttempt`).
   * The password or code is checked on every path, so a locked account answers as slowly.
   */
  async attemptAccess(
    target: { id: string } | { email: string },
    verify: (passwordHash: string | null, reserved: boolean) => Promise<boolean>,
    actor?: Actor,
  ): Promise<AttemptResult> {
    const { maxFailedAccessAttempts, durationSeconds } = this.deps.lockout;
    const reserved = await this.users.reserveAttempt(target, maxFailedAccessAttempts);
    if (reserved === undefined || 'refused' in reserved) {
      await verify(null, false);
      return reserved ? { outcome: reserved.refused, userId: reserved.userId } : { outcome: 'unknown' };
    }
    const { user, passwordHash } = reserved;
    this.#secondFactorSeen.set(user, reserved.hasSecondFactor);
    if (await verify(passwordHash, true)) return { outcome: 'ok', user };
    const { lockedNow } = await this.users.failAttempt(user.id, maxFailedAccessAttempts, durationSeconds);
    if (lockedNow) await this.notifications.publish('UserLocked', { affectedUserId: user.id, actor }, {});
    return { outcome: 'wrong', user };
  }

  /**
   * Whether the account had a confirmed second factor when `attemptAccess` read this very user
   * object (same statement); undefined for a user read any other way. Lets the sign-in skip asking.
   */
  secondFactorSeen(user: User): boolean | undefined {
    return this.#secondFactorSeen.get(user);
  }

  /** A right answer whose sign-in goes on (a second factor is due): it no longer counts. */
  async releaseAttempt(user: User): Promise<void> {
    await this.users.releaseAttempt(user.id);
  }

  /** Counts one failed attempt without a credential to check. */
  async accessFailed(user: User, actor?: Actor): Promise<void> {
    await this.attemptAccess({ id: user.id }, async () => false, actor);
  }

  /**
   * The whole sign-in succeeded (every factor given): in one statement the failure count starts
   * again, a lapsed lockout is lifted and the sign-in time is noted; both are announced.
   */
  async completeSignIn(user: User, actor?: Actor): Promise<void> {
    // The language the person just signed in with is theirs: later emails are written in it.
    await this.users.completeSignIn(user.id, requestedLocale());
    if (user.lockoutEnd !== null) {
      await this.notifications.publish('UserUnlocked', { affectedUserId: user.id, actor }, {});
    } else if (user.failedCount > 0) {
      await this.notifications.publish('UserResetAccessFailedCount', { affectedUserId: user.id, actor }, {});
    }
  }

  /** Clears the failure count (an administrator's reset). */
  async resetAccessFailedCount(user: User, actor?: Actor): Promise<void> {
    if (await this.users.resetFailedAttempts(user.id)) {
      await this.notifications.publish('UserResetAccessFailedCount', { affectedUserId: user.id, actor }, {});
    }
  }

  async unlockUser(userId: string, actor?: Actor): Promise<void> {
    await this.requireUser(userId);
    await this.users.setLockoutEnd(userId, null);
    await this.notifications.publish('UserUnlocked', { affectedUserId: userId, actor }, {});
  }

  async recordSignIn(user: User): Promise<void> {
    await this.users.recordSignIn(user.id);
  }

  protected async requireUser(id: string): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) throw AppError.keyed('not_found', 'user.notFound');
    return user;
  }

  protected async assertPasswordAllowed(password: string): Promise<void> {
    const result = await this.validatePassword(password);
    if (!result.ok) throw passwordRejected(result);
  }
}
