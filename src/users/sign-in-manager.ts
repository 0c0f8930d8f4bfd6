import type { NotificationBus } from '../notifications/notification-bus.ts';
import type { Actor, LoginFailureReason } from '../notifications/notification-types.ts';
import type { LimitRequest, RateLimits } from '../rate-limits/rate-limits.ts';
import type { User } from './user.ts';
import type { UserManager } from './user-manager.ts';

export type PasswordSignInResult = { ok: true; user: User } | { ok: false; reason: LoginFailureReason };

/**
 * Umbraco's BackOfficeSignInManager, first factor: checks a password against the account's state
 * and lockout (one access attempt under the user's row lock), counts failures and announces them.
 * A right password is not yet a sign-in: the caller hands it to the sign-in pipeline, which resets
 * the count once every factor is in. Every failure takes at least `minimumFailedLoginMs` and the
 * caller shows one message for all of them, so neither the answer nor its timing tells an unknown
 * account from a wrong password, a locked or a disabled one.
 *
 * The rate limits of password sign-in live here too, so every way in that takes a password (the
 * sign-in page, the JSON API, confirming a link to an upstream login) is limited alike: attempts per
 * account from anywhere (SIGN_IN_PER_ACCOUNT) and failures per address (SIGN_IN_FAILURES_PER_IP,
 * password spraying). A refusal is a RateLimitedError (429), thrown before any password is checked.
 */
export class SignInManager {
  readonly #userManager: UserManager;
  readonly #notifications: NotificationBus;
  readonly #limits: RateLimits;

  constructor(userManager: UserManager, notifications: NotificationBus, limits: RateLimits) {
    this.#userManager = userManager;
    this.#notifications = notifications;
    this.#limits = limits;
  }

  async passwordSignIn(email: string, password: string, actor?: Actor): Promise<PasswordSignInResult> {
    // The clock starts first: the limits' round trip is inside the minimum failure time too.
    const started = performance.now();
    const ip = actor?.ip;
    await this.#limits.applyAll(limitsOf(email, ip), ip);
    const result = await this.#check(email, password, actor);
    if (result.ok) return result;
    if (ip) await this.#limits.hit('SIGN_IN_FAILURES_PER_IP', ip, ip);
    await this.#notifications.publish(
      'UserLoginFailed',
      { affectedUserId: result.userId, actor },
      { reason: result.reason, email },
    );
    const wait = this.#userManager.lockoutSettings.minimumFailedLoginMs - (performance.now() - started);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    return { ok: false, reason: result.reason };
  }

  async #check(
    email: string,
    password: string,
    actor: Actor | undefined,
  ): Promise<{ ok: true; user: User } | { ok: false; reason: LoginFailureReason; userId?: string }> {
    const manager = this.#userManager;
    // Every path verifies one password (the dummy hash when there is none), so all cost the same.
    const attempt = await manager.attemptAccess(
      { email },
      (hash) => manager.verifyPassword(hash, password),
      actor,
    );
    switch (attempt.outcome) {
      case 'unknown':
        return { ok: false, reason: 'unknown_user' };
      case 'disabled':
      case 'locked':
        return { ok: false, reason: attempt.outcome, userId: attempt.userId };
      case 'wrong':
        return { ok: false, reason: 'wrong_password', userId: attempt.user.id };
    }
    if (attempt.user.status !== 'active') {
      await manager.releaseAttempt(attempt.user);
      return { ok: false, reason: 'not_approved', userId: attempt.user.id };
    }
    return { ok: true, user: attempt.user };
  }
}

/** One statement for both: would one more failure from this address fit, and this account's count. */
function limitsOf(email: string, ip: string | undefined): LimitRequest[] {
  const requests: LimitRequest[] = [];
  if (ip) requests.push({ name: 'SIGN_IN_FAILURES_PER_IP', subject: ip, mode: 'check' });
  if (email.trim()) requests.push({ name: 'SIGN_IN_PER_ACCOUNT', subject: email.trim(), mode: 'consume' });
  return requests;
}
