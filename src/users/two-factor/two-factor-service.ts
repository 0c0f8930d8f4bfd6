import QRCode from 'qrcode';
import { AppError } from '../../errors/app-error.ts';
import type { EmailService } from '../../notifications/email/email-service.ts';
import type { NotificationBus } from '../../notifications/notification-bus.ts';
import type { Actor } from '../../notifications/notification-types.ts';
import type { RateLimits } from '../../rate-limits/rate-limits.ts';
import type { OneTimeTokenStore } from '../one-time-token-store.ts';
import type { User } from '../user.ts';
import type { UserManager } from '../user-manager.ts';
import { EmailCodes, type MailboxLink } from './email-codes.ts';
import { hashRecoveryCode, newRecoveryCodes } from './recovery-codes.ts';
import { newTotpSecret, totpUri, verifyTotp } from './totp.ts';
import type { StoredProvider, TwoFactorStore } from './two-factor-store.ts';

export type { MailboxLink } from './email-codes.ts';

export type TwoFactorProvider = StoredProvider | 'recovery';
export type TwoFactorRequirement = 'none' | 'verify' | 'enrol';

export interface TwoFactorDeps {
  store: TwoFactorStore;
  userManager: UserManager;
  email: EmailService;
  notifications: NotificationBus;
  tokens: OneTimeTokenStore;
  recoveryKey: Buffer;
  /** Shown in authenticator apps next to the account. */
  issuerName: string;
  requiredGroups: string[];
  emailCodeTtlSeconds: number;
  /** Per-account limits on codes checked and codes sent (the routes add the per-address ones). */
  limits: RateLimits;
}

export interface TotpEnrolment {
  secret: string;
  uri: string;
  qrDataUrl: string;
}

export type VerifyOutcome =
  | { ok: true; provider: TwoFactorProvider; remainingRecoveryCodes?: number }
  | { ok: false };

/**
 * Second factors: TOTP (authenticator apps), codes by email, and recovery codes. Wrong codes count
 * towards the same lockout as wrong passwords; every code checked and every code emailed also counts
 * towards the account's rate limits (TWO_FACTOR_PER_ACCOUNT, EMAIL_CODE_PER_ACCOUNT), which refuse
 * with RateLimitedError (429). `UserManager.supportsUserTwoFactor = false` turns the whole feature off.
 */
export class TwoFactorService {
  readonly #deps: TwoFactorDeps;
  readonly #emailCodes: EmailCodes;

  constructor(deps: TwoFactorDeps) {
    this.#deps = deps;
    this.#emailCodes = new EmailCodes(deps);
  }

  get supported(): boolean {
    return this.#deps.userManager.supportsUserTwoFactor;
  }

  /** Confirmed providers, plus `recovery` while unused codes remain. */
  async enabledProviders(user: User): Promise<TwoFactorProvider[]> {
    if (!this.supported) return [];
    const records = await this.#deps.store.list(user.id);
    const providers: TwoFactorProvider[] = records.filter((r) => r.confirmed).map((r) => r.provider);
    if (providers.length && (await this.#deps.store.remainingRecoveryCodes(user.id)) > 0)
      providers.push('recovery');
    return providers;
  }

  userById(id: string): Promise<User | undefined> {
    return this.#deps.userManager.findById(id);
  }

  isMandatoryFor(user: User): boolean {
    return this.supported && user.groups.some((g) => this.#deps.requiredGroups.includes(g));
  }

  /** What a sign-in must do after the first factor. */
  async requirement(user: User, options: { forced?: boolean } = {}): Promise<TwoFactorRequirement> {
    if (!this.supported) return 'none';
    // Known from the password attempt's own statement: no factor, no need to ask again.
    const seen = this.#deps.userManager.secondFactorSeen(user);
    if (seen !== false && (await this.enabledProviders(user)).length) return 'verify';
    return options.forced || this.isMandatoryFor(user) ? 'enrol' : 'none';
  }

  /** Starts TOTP enrolment, or shows the same pending secret again (a reload keeps the QR code). */
  async beginTotp(user: User, options: { restart?: boolean } = {}): Promise<TotpEnrolment> {
    this.#assertSupported();
    const existing = (await this.#deps.store.list(user.id)).find((r) => r.provider === 'totp');
    if (existing?.confirmed) throw AppError.keyed('conflict', 'error.twoFactor.appAlreadySetUp');
    let secret = options.restart ? null : existing?.secret;
    if (!secret) {
      secret = newTotpSecret();
      await this.#deps.store.savePending(user.id, 'totp', secret);
    }
    const uri = totpUri(secret, user.email, this.#deps.issuerName);
    return { secret, uri, qrDataUrl: await QRCode.toDataURL(uri, { margin: 1, width: 220 }) };
  }

  /** Activates TOTP after a valid code; returns recovery codes when this is the first factor. */
  async confirmTotp(user: User, code: string, actor?: Actor): Promise<{ recoveryCodes?: string[] }> {
    this.#assertSupported();
    await this.#countCheck(user, actor);
    const pending = (await this.#deps.store.list(user.id)).find((r) => r.provider === 'totp');
    const step = pending?.secret ? await verifyTotp(pending.secret, code.trim(), null) : undefined;
    if (step === undefined) throw AppError.keyed('invalid_input', 'error.twoFactor.totpWrong');
    return this.#enable(user, 'totp', step, actor);
  }

  /** Email codes need a code sent to the address first, so the address is known to work. */
  async beginEmail(user: User, actor?: Actor): Promise<void> {
    this.#assertSupported();
    // Starting again would reset the confirmed method to pending, i.e. turn it off: refused.
    const existing = (await this.#deps.store.list(user.id)).find((r) => r.provider === 'email');
    if (existing?.confirmed) throw AppError.keyed('conflict', 'error.twoFactor.emailAlreadyOn');
    await this.#deps.store.savePending(user.id, 'email', null);
    await this.sendEmailCode(user, actor);
  }

  async confirmEmail(user: User, code: string, actor?: Actor): Promise<{ recoveryCodes?: string[] }> {
    this.#assertSupported();
    await this.#countCheck(user, actor);
    if (!(await this.#emailCodes.redeem(user, code)))
      throw AppError.keyed('invalid_input', 'error.twoFactor.codeWrong');
    return this.#enable(user, 'email', null, actor);
  }

  /** The email code, and with `link` a single-use link too (see `EmailCodes.send`). */
  sendEmailCode(user: User, actor?: Actor, link?: MailboxLink): Promise<void> {
    return this.#emailCodes.send(user, actor, link);
  }

  /** The emailed link of `sendEmailCode`, used up: only for `bindTo`, and void once the stamp moved. */
  proveMailboxByLink(user: User, bindTo: string, token: string): Promise<boolean> {
    return this.#emailCodes.redeemLink(user, bindTo, token);
  }

  /**
   * Checks a second-factor code at sign-in, as one access attempt under the user's row lock (see
   * `UserManager.attemptAccess`): a wrong one counts towards lockout, and on a locked account no
   * code is checked or used up.
   */
  async verify(
    user: User,
    provider: TwoFactorProvider,
    code: string,
    actor?: Actor,
    options: { completesSignIn?: boolean } = {},
  ): Promise<VerifyOutcome> {
    await this.#countCheck(user, actor);
    const enabled = await this.enabledProviders(user);
    const manager = this.#deps.userManager;
    const attempt = await manager.attemptAccess(
      { id: user.id },
      async (_hash, reserved) => reserved && enabled.includes(provider) && this.#check(user, provider, code),
      actor,
    );
    if (attempt.outcome !== 'ok') return { ok: false };
    // A right code outside a sign-in (turning two-factor off) is not a failure; a sign-in's stays
    // reserved until the pipeline completes it.
    if (options.completesSignIn === false) await manager.releaseAttempt(attempt.user);
    if (provider !== 'recovery') return { ok: true, provider };
    const remaining = await this.#deps.store.remainingRecoveryCodes(user.id);
    await this.#deps.notifications.publish(
      'UserRecoveryCodeUsed',
      { affectedUserId: user.id, actor },
      { remaining },
    );
    return { ok: true, provider, remainingRecoveryCodes: remaining };
  }

  /**
   * Proof that someone reads the account's mailbox (linking confirmation for an account without a
   * usable password): the code `sendEmailCode` mailed, whether or not email is one of the user's
   * second factors. Rate-limited and counted towards lockout like any code.
   */
  async proveMailbox(user: User, code: string, actor?: Actor): Promise<boolean> {
    await this.#countCheck(user, actor);
    const attempt = await this.#deps.userManager.attemptAccess(
      { id: user.id },
      async (_hash, reserved) => reserved && this.#emailCodes.redeem(user, code),
      actor,
    );
    if (attempt.outcome !== 'ok') return false;
    // Not a sign-in of its own: the sign-in it belongs to counts when it completes.
    await this.#deps.userManager.releaseAttempt(attempt.user);
    return true;
  }

  /** New codes; the old set stops working. */
  async regenerateRecoveryCodes(user: User, actor?: Actor): Promise<string[]> {
    if (!(await this.enabledProviders(user)).some((p) => p !== 'recovery')) {
      throw AppError.keyed('invalid_input', 'error.twoFactor.enableFirst');
    }
    const codes = await this.#issueRecoveryCodes(user);
    await this.#deps.notifications.publish(
      'UserRecoveryCodesRegenerated',
      { affectedUserId: user.id, actor },
      {},
    );
    return codes;
  }

  /**
   * The user turns two-factor off: their password (when they have one; an account that signs in
   * only upstream has none) and a current code are both required.
   */
  async disable(
    user: User,
    password: string,
    provider: TwoFactorProvider,
    code: string,
    actor?: Actor,
  ): Promise<void> {
    if (this.isMandatoryFor(user)) throw AppError.keyed('forbidden', 'error.twoFactor.required');
    const passwordOk = !user.hasPassword || (await this.#deps.userManager.checkPassword(user, password));
    const codeOk =
      passwordOk && (await this.verify(user, provider, code, actor, { completesSignIn: false })).ok;
    if (!passwordOk || !codeOk) throw AppError.keyed('invalid_input', 'error.twoFactor.passwordOrCodeWrong');
    await this.#removeAll(user.id);
    await this.#deps.notifications.publish('UserTwoFactorDisabled', { affectedUserId: user.id, actor }, {});
  }

  /** An admin removes a user's second factors (a lost phone); audited. */
  async reset(userId: string, actor?: Actor): Promise<void> {
    await this.#removeAll(userId);
    await this.#deps.notifications.publish('UserTwoFactorReset', { affectedUserId: userId, actor }, {});
  }

  async remainingRecoveryCodes(user: User): Promise<number> {
    return this.#deps.store.remainingRecoveryCodes(user.id);
  }

  async #check(user: User, provider: TwoFactorProvider, code: string): Promise<boolean> {
    const store = this.#deps.store;
    if (provider === 'email') return this.#emailCodes.redeem(user, code);
    if (provider === 'recovery') {
      return store.useRecoveryCode(user.id, hashRecoveryCode(this.#deps.recoveryKey, user.id, code));
    }
    const totp = (await store.list(user.id)).find((r) => r.provider === 'totp' && r.confirmed);
    if (!totp?.secret) return false;
    const step = await verifyTotp(totp.secret, code.trim(), totp.lastUsedStep);
    return step !== undefined && (await store.claimStep(user.id, step));
  }

  /**
   * The method and, for a first factor, its recovery codes are written in one transaction: a
   * failure between the two must not leave a second factor on whose recovery codes nobody saw.
   */
  async #enable(
    user: User,
    provider: StoredProvider,
    usedStep: number | null,
    actor?: Actor,
  ): Promise<{ recoveryCodes?: string[] }> {
    const recoveryCodes = await this.#deps.store.transaction(async (store) => {
      await store.confirm(user.id, provider, usedStep);
      if ((await store.remainingRecoveryCodes(user.id)) > 0) return undefined;
      return this.#issueRecoveryCodes(user, store);
    });
    await this.#deps.notifications.publish(
      'UserTwoFactorEnabled',
      { affectedUserId: user.id, actor },
      { provider },
    );
    return recoveryCodes ? { recoveryCodes } : {};
  }

  async #issueRecoveryCodes(user: User, store = this.#deps.store): Promise<string[]> {
    const codes = newRecoveryCodes();
    await store.replaceRecoveryCodes(
      user.id,
      codes.map((c) => hashRecoveryCode(this.#deps.recoveryKey, user.id, c)),
    );
    return codes;
  }

  /** Methods, recovery codes and outstanding email codes go together, or not at all. */
  async #removeAll(userId: string): Promise<void> {
    await this.#deps.store.transaction(async (store, trx) => {
      await store.remove(userId);
      await store.removeRecoveryCodes(userId);
      await this.#deps.tokens.withTransaction(trx).revokeAll('two_factor_email', userId);
    });
  }

  /** One more code checked for this account: refused (429) once there were too many. */
  #countCheck(user: User, actor: Actor | undefined): Promise<void> {
    return this.#deps.limits.consume('TWO_FACTOR_PER_ACCOUNT', user.id, actor?.ip);
  }

  #assertSupported(): void {
    if (!this.supported) throw AppError.keyed('forbidden', 'error.twoFactor.off');
  }
}
