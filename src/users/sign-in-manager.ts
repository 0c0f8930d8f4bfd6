import type { Context } from 'koa';
import type { Session } from 'oidc-provider';
import type { NotificationBus } from '../notifications/notification-bus.ts';
import type { Actor, LoginFailureReason } from '../notifications/notification-types.ts';
import type { SessionLogin, SessionService } from '../oidc/session-service.ts';
import type { User } from './user.ts';
import type { UserManager } from './user-manager.ts';

/** How a browser sign-in that is complete (every factor given) was made. */
export interface BrowserSignIn extends Omit<SessionLogin, 'accountId'> {
  method: 'password' | 'external';
  providerAlias?: string | undefined;
}

export type PasswordSignInResult = { ok: true; user: User } | { ok: false; reason: LoginFailureReason };

/**
 * Umbraco's BackOfficeSignInManager: checks a password sign-in against the account's state and
 * lockout, counts failures, and announces failures; callers announce success once every factor
 * is in (`signedIn`). Every failure takes at least
 * `minimumFailedLoginMs` and the caller shows one message for all of them, so neither the answer
 * nor its timing tells an unknown account from a wrong password, a locked or a disabled one.
 */
export class SignInManager {
  readonly #userManager: UserManager;
  readonly #notifications: NotificationBus;
  readonly #sessions: SessionService;

  constructor(userManager: UserManager, notifications: NotificationBus, sessions: SessionService) {
    this.#userManager = userManager;
    this.#notifications = notifications;
    this.#sessions = sessions;
  }

  /**
   * Signs the user in on this browser outside an OIDC interaction (the JSON API, invitations):
   * the Gatehouse session, the last sign-in time and `UserLoginSuccess`, always together.
   */
  async signInBrowser(ctx: Context, user: User, how: BrowserSignIn): Promise<Session> {
    const { method, providerAlias, ...login } = how;
    const session = await this.#sessions.signIn(ctx, { ...login, accountId: user.id });
    await this.signedIn(user, method, { ip: ctx.ip }, providerAlias);
    return session;
  }

  async passwordSignIn(email: string, password: string, actor?: Actor): Promise<PasswordSignInResult> {
    const started = performance.now();
    const result = await this.#check(email, password, actor);
    // Success is announced by the caller through `signedIn`, once every factor is in; announcing it
    // here as well published UserLoginSuccess twice, and before the second factor.
    if (result.ok) return result;
    await this.#notifications.publish(
      'UserLoginFailed',
      { affectedUserId: result.user?.id, actor },
      { reason: result.reason, email },
    );
    const wait = this.#userManager.lockoutSettings.minimumFailedLoginMs - (performance.now() - started);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    return { ok: false, reason: result.reason };
  }

  /** The sign-in is complete (every factor given): record and announce it. */
  async signedIn(
    user: User,
    method: 'password' | 'external',
    actor?: Actor,
    providerAlias?: string,
  ): Promise<void> {
    await this.#userManager.recordSignIn(user);
    await this.#notifications.publish(
      'UserLoginSuccess',
      { affectedUserId: user.id, actor },
      { method, providerAlias },
    );
  }

  /** The first factor was right; a second one is now asked for. */
  async requiresVerification(user: User, actor?: Actor): Promise<void> {
    await this.#notifications.publish(
      'UserLoginRequiresVerification',
      { affectedUserId: user.id, actor },
      {},
    );
  }

  async #check(
    email: string,
    password: string,
    actor: Actor | undefined,
  ): Promise<{ ok: true; user: User } | { ok: false; reason: LoginFailureReason; user?: User }> {
    const manager = this.#userManager;
    const user = await manager.findByEmail(email);
    if (!user) {
      await manager.checkPasswordOfUnknownUser(password);
      return { ok: false, reason: 'unknown_user' };
    }
    // The password is always verified, so every path costs one argon2 verification.
    const valid = await manager.checkPassword(user, password);
    if (user.status === 'disabled') return { ok: false, reason: 'disabled', user };
    if (manager.isLockedOut(user)) return { ok: false, reason: 'locked', user };
    if (!valid) {
      await manager.accessFailed(user, actor);
      return { ok: false, reason: 'wrong_password', user };
    }
    if (user.status !== 'active') return { ok: false, reason: 'not_approved', user };
    await this.#afterLockoutExpired(user, actor);
    await manager.resetAccessFailedCount(user, actor);
    return { ok: true, user };
  }

  /** A lockout that ran out is lifted at the next good sign-in, and said so. */
  async #afterLockoutExpired(user: User, actor: Actor | undefined): Promise<void> {
    if (user.lockoutEnd !== null) await this.#userManager.unlockUser(user.id, actor);
  }
}
