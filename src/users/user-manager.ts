import { AppError } from '../http/app-error.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { isLockedOut, type User } from './user.ts';
import type { UserChanges, UserStore } from './user-store.ts';

export interface UserManagerDeps {
  users: UserStore;
  hasher: PasswordHasher;
}

export interface PasswordValidationResult {
  ok: boolean;
  errors: string[];
}

export type PasswordSignInResult =
  | { ok: true; user: User }
  | {
      ok: false;
      reason: 'unknown_user' | 'wrong_password' | 'locked' | 'disabled' | 'not_approved';
      user?: User;
    };

export interface CreateUserInput {
  email: string;
  name?: string;
  groups?: string[];
  password?: string;
  status?: User['status'];
  emailVerified?: boolean;
}

/**
 * Gatehouse's BackOfficeUserManager: the one place where accounts and passwords are handled.
 * Integrators replace it with a subclass through `builder.setUserManager(...)`; every public member
 * is meant to be overridable.
 */
export class UserManager {
  /** Switches two-factor authentication as a whole. */
  supportsUserTwoFactor = true;

  protected readonly users: UserStore;
  protected readonly hasher: PasswordHasher;

  constructor(deps: UserManagerDeps) {
    this.users = deps.users;
    this.hasher = deps.hasher;
  }

  async validatePassword(password: string): Promise<PasswordValidationResult> {
    const errors: string[] = [];
    if (password.length < 10) errors.push('The password must be at least 10 characters long.');
    if (password.length > 256) errors.push('The password must be at most 256 characters long.');
    return { ok: errors.length === 0, errors };
  }

  async createUser(input: CreateUserInput): Promise<User> {
    const email = normaliseEmail(input.email);
    if (input.password !== undefined) await this.assertPasswordAllowed(input.password);
    if (await this.users.findByEmail(email)) throw new AppError('email_taken');
    const passwordHash = input.password === undefined ? null : await this.hasher.hash(input.password);
    try {
      return await this.users.insert({
        email,
        name: input.name?.trim() ?? '',
        groups: normaliseGroups(input.groups ?? []),
        passwordHash,
        status: input.status ?? 'active',
        emailVerified: input.emailVerified ?? false,
      });
    } catch (error) {
      // Two requests racing for the same address: the unique index decides, the loser gets a 409.
      if ((error as { code?: string }).code === '23505') throw new AppError('email_taken');
      throw error;
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

  async updateUser(id: string, changes: Omit<UserChanges, 'passwordHash'>): Promise<User> {
    const current = await this.requireUser(id);
    const groupsChanged = changes.groups !== undefined && changes.groups.join() !== current.groups.join();
    const disabled = changes.status === 'disabled' && current.status !== 'disabled';
    const updated = await this.users.update(
      id,
      {
        ...changes,
        ...(changes.email ? { email: normaliseEmail(changes.email) } : {}),
        ...(changes.groups ? { groups: normaliseGroups(changes.groups) } : {}),
      },
      { bumpStamp: groupsChanged || disabled },
    );
    if (!updated) throw new AppError('not_found', 'No such user.');
    return updated;
  }

  async setPassword(id: string, password: string): Promise<User> {
    await this.requireUser(id);
    await this.assertPasswordAllowed(password);
    const updated = await this.users.update(
      id,
      { passwordHash: await this.hasher.hash(password) },
      { bumpStamp: true },
    );
    if (!updated) throw new AppError('not_found', 'No such user.');
    return updated;
  }

  async deleteUser(id: string): Promise<void> {
    if (!(await this.users.delete(id))) throw new AppError('not_found', 'No such user.');
  }

  /**
   * Checks an email and password. Every failure path does one argon2 verification so that the
   * time taken does not reveal whether the account exists.
   */
  async checkPasswordSignIn(email: string, password: string): Promise<PasswordSignInResult> {
    const user = await this.findByEmail(email);
    const hash = user ? await this.users.findPasswordHash(user.id) : null;
    if (!user || !hash) {
      await this.hasher.verifyAgainstDummy(password);
      return user ? { ok: false, reason: 'wrong_password', user } : { ok: false, reason: 'unknown_user' };
    }
    const valid = await this.hasher.verify(hash, password);
    if (user.status === 'disabled') return { ok: false, reason: 'disabled', user };
    if (isLockedOut(user)) return { ok: false, reason: 'locked', user };
    if (!valid) return { ok: false, reason: 'wrong_password', user };
    if (user.status !== 'active') return { ok: false, reason: 'not_approved', user };
    await this.users.recordSignIn(user.id);
    return { ok: true, user };
  }

  async countAdmins(group: string): Promise<number> {
    return this.users.countInGroup(group);
  }

  protected async requireUser(id: string): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) throw new AppError('not_found', 'No such user.');
    return user;
  }

  protected async assertPasswordAllowed(password: string): Promise<void> {
    const result = await this.validatePassword(password);
    if (!result.ok)
      throw new AppError('password_rejected', result.errors.join(' '), { errors: result.errors });
  }
}

export function normaliseEmail(email: string): string {
  return email.trim();
}

function normaliseGroups(groups: string[]): string[] {
  return [...new Set(groups.map((g) => g.trim()).filter(Boolean))].sort();
}
