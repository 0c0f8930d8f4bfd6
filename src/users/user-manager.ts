import type { Knex } from 'knex';
import { AppError } from '../errors/app-error.ts';
import type { Actor } from '../notifications/notification-types.ts';
import type { User } from './user.ts';
import { UserCredentials } from './user-credentials.ts';
import { groupsProblem, normaliseEmail } from './user-fields.ts';
import type { UserChanges, UserSearch } from './user-store.ts';

export type {
  AttemptResult,
  PasswordValidationResult,
  SessionRevoker,
  UserManagerDeps,
} from './user-credentials.ts';

/** Uses up an emailed link inside the transaction of the change it allows; false when it is gone. */
export type TokenRedemption = (trx: Knex.Transaction) => Promise<boolean>;

export interface CreateUserInput {
  email: string;
  name?: string | undefined;
  groups?: string[] | undefined;
  password?: string | undefined;
  status?: User['status'];
  emailVerified?: boolean;
  /** The language emails to the user are written in until they sign in with another. */
  locale?: string | undefined;
}

/**
 * Gatehouse's BackOfficeUserManager: the one place where accounts and their passwords change, and
 * where those changes are announced. Integrators replace it with a subclass through
 * `builder.setUserManager(...)`; every public member is meant to be overridable, and every flow
 * (sign-in, invitations, password reset, the CLI) goes through it.
 */
export class UserManager extends UserCredentials {
  /** Switches two-factor authentication as a whole. */
  supportsUserTwoFactor = true;

  async createUser(input: CreateUserInput): Promise<User> {
    const email = normaliseEmail(input.email);
    refuseBadGroups(normaliseGroups(input.groups ?? []), []);
    if (input.password !== undefined) await this.assertPasswordAllowed(input.password);
    if (await this.users.findByEmail(email)) throw new AppError('email_taken');
    const passwordHash = input.password === undefined ? null : await this.deps.hasher.hash(input.password);
    try {
      return await this.users.insert({
        email,
        name: input.name?.trim() ?? '',
        groups: normaliseGroups(input.groups ?? []),
        passwordHash,
        status: input.status ?? 'active',
        emailVerified: input.emailVerified ?? false,
        locale: input.locale,
      });
    } catch (error) {
      return rethrowEmailTaken(error);
    }
  }

  findById(id: string): Promise<User | undefined> {
    return this.users.findById(id);
  }

  findByEmail(email: string): Promise<User | undefined> {
    return this.users.findByEmail(normaliseEmail(email));
  }

  listUsers(): Promise<User[]> {
    return this.users.list();
  }

  searchUsers(search: UserSearch): Promise<{ users: User[]; total: number }> {
    return this.users.search(search);
  }

  /** Changing groups or disabling the user ends their sessions: permissions must not linger. */
  async updateUser(id: string, changes: Omit<UserChanges, 'passwordHash'>): Promise<User> {
    const current = await this.requireUser(id);
    // An invitee is approved by accepting the invitation (which proves the address), not by an edit.
    if (changes.status === 'active' && current.status === 'invited') {
      throw AppError.keyed('invalid_input', 'user.invitedBecomesActive');
    }
    const groups = changes.groups ? normaliseGroups(changes.groups) : undefined;
    if (groups) refuseBadGroups(groups, current.groups);
    const groupsChanged = groups !== undefined && groups.join('\n') !== current.groups.join('\n');
    const disabled = changes.status === 'disabled' && current.status !== 'disabled';
    const email = changes.email ? normaliseEmail(changes.email) : undefined;
    const updated = await this.users
      .update(
        id,
        { ...changes, ...(email ? { email } : {}), ...(groups ? { groups } : {}) },
        { bumpStamp: groupsChanged || disabled },
      )
      .catch(rethrowEmailTaken);
    if (!updated) throw AppError.keyed('not_found', 'user.notFound');
    if (groupsChanged || disabled) await this.deps.sessions.endAllFor(id, { reason: 'admin' });
    return updated;
  }

  /** An administrator signs the user out everywhere (each ended session is announced). */
  async endSessions(id: string, actor?: Actor): Promise<number> {
    await this.requireUser(id);
    return this.deps.sessions.endAllFor(id, { reason: 'admin', actor });
  }

  async deleteUser(id: string): Promise<void> {
    // Looked up first: an id that is no user (or not even a UUID) reached the session query below.
    await this.requireUser(id);
    await this.deps.sessions.endAllFor(id, { reason: 'admin' });
    if (!(await this.users.delete(id))) throw AppError.keyed('not_found', 'user.notFound');
  }

  /**
   * The signed-in user's own change: the current password is required (re-entering it is the
   * recent authentication this change needs); other sessions end.
   */
  async changePassword(
    userId: string,
    current: string,
    next: string,
    context: { actor?: Actor; keepSessionId?: string | undefined } = {},
  ): Promise<User> {
    const user = await this.requireUser(userId);
    // The new password's rules first, so that the answer about them never depends on whether the
    // current password was right; the current password is then one access attempt like a sign-in's
    // (counted, locking), and a locked account answers exactly as a wrong password does.
    await this.assertPasswordAllowed(next);
    const attempt = await this.attemptAccess(
      { id: user.id },
      (hash) => this.verifyPassword(hash, current),
      context.actor,
    );
    if (attempt.outcome !== 'ok') {
      throw AppError.keyed('invalid_input', 'user.currentPasswordWrong', undefined, {
        fields: { currentPassword: 'incorrect' },
      });
    }
    // Re-entering the password is an authentication that succeeded; it does not count.
    await this.releaseAttempt(user);
    const updated = await this.storePassword(user, next, context.keepSessionId, context.actor);
    await this.notifications.publish(
      'UserPasswordChanged',
      { affectedUserId: userId, actor: context.actor },
      {},
    );
    return updated;
  }

  /**
   * Sets a password without the old one (reset link, admin, invitation): unlocks the account,
   * clears the failure count and ends every session.
   */
  async resetPassword(
    userId: string,
    next: string,
    actor?: Actor,
    options: { redeem?: TokenRedemption } = {},
  ): Promise<User> {
    await this.requireUser(userId);
    await this.assertPasswordAllowed(next);
    const hash = await this.deps.hasher.hash(next);
    // The link (when there is one), the password and the unlock: all or nothing.
    const updated = await this.users.transaction(async (store, trx) => {
      if (options.redeem && !(await options.redeem(trx))) throw new AppError('token_invalid');
      const changed = await store.update(userId, { passwordHash: hash }, { bumpStamp: true });
      await store.setLockoutEnd(userId, null);
      return changed;
    });
    if (!updated) throw AppError.keyed('not_found', 'user.notFound');
    await this.deps.sessions.endAllFor(userId, { actor });
    await this.notifications.publish('UserPasswordReset', { affectedUserId: userId, actor }, {});
    return updated;
  }

  /**
   * Approves an invited user: their email is proven by the link; the password is optional because
   * an invitee may instead sign in through an upstream provider.
   */
  async acceptInvitation(
    userId: string,
    options: { password?: string | undefined; actor?: Actor; redeem?: TokenRedemption },
  ): Promise<User> {
    const user = await this.requireUser(userId);
    if (user.status !== 'invited') throw new AppError('token_invalid');
    if (options.password !== undefined) await this.assertPasswordAllowed(options.password);
    const hash = options.password === undefined ? undefined : await this.deps.hasher.hash(options.password);
    // The link, the password and the approval: all or nothing.
    const updated = await this.users.transaction(async (store, trx) => {
      if (options.redeem && !(await options.redeem(trx))) throw new AppError('token_invalid');
      return store.update(
        userId,
        { status: 'active', emailVerified: true, ...(hash ? { passwordHash: hash } : {}) },
        { bumpStamp: true },
      );
    });
    if (!updated) throw AppError.keyed('not_found', 'user.notFound');
    await this.notifications.publish(
      'UserInviteAccepted',
      { affectedUserId: userId, actor: options.actor },
      {},
    );
    return updated;
  }

  async countAdmins(group: string): Promise<number> {
    return this.users.countInGroup(group);
  }

  protected async storePassword(
    user: User,
    password: string,
    keepSessionId: string | undefined,
    actor?: Actor,
  ): Promise<User> {
    await this.assertPasswordAllowed(password);
    const hash = await this.deps.hasher.hash(password);
    const updated = await this.users.update(user.id, { passwordHash: hash }, { bumpStamp: true });
    if (!updated) throw AppError.keyed('not_found', 'user.notFound');
    await this.deps.sessions.endAllFor(user.id, { exceptSessionId: keepSessionId, actor });
    return updated;
  }
}

/** Two requests racing for the same address: the unique index decides, the loser gets a 409. */
function rethrowEmailTaken(error: unknown): never {
  if ((error as { code?: string }).code === '23505') throw new AppError('email_taken');
  throw error;
}

/**
 * A new group name must follow the rule; one the user already holds stays, so that a name stored
 * before the rule existed cannot make every later change (or an upstream's group sync) fail.
 */
function refuseBadGroups(groups: string[], held: string[]): void {
  const problem = groupsProblem(groups.filter((g) => !held.includes(g)));
  if (problem) throw AppError.worded('invalid_input', problem);
}

function normaliseGroups(groups: string[]): string[] {
  return [...new Set(groups.map((g) => g.trim()).filter(Boolean))].sort();
}
