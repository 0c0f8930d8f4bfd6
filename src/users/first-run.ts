import { AppError } from '../errors/app-error.ts';
import type { OneTimeTokenStore } from './one-time-token-store.ts';
import { passwordRejected } from './password-policy.ts';
import { ADMIN_GROUP, type User } from './user.ts';
import type { UserManager } from './user-manager.ts';

const SETUP_LINK_TTL_SECONDS = 24 * 3600;

/**
 * First run: while no user is in the `admin` group, `serve` prints a one-time link with which the
 * operator creates the first admin account in the browser. Each start replaces the previous link.
 */
export class FirstRunSetup {
  private readonly tokens: OneTimeTokenStore;
  private readonly userManager: UserManager;
  private readonly issuer: string;

  constructor(tokens: OneTimeTokenStore, userManager: UserManager, issuer: string) {
    this.tokens = tokens;
    this.userManager = userManager;
    this.issuer = issuer;
  }

  async setupLinkIfNeeded(): Promise<string | undefined> {
    if ((await this.userManager.countAdmins(ADMIN_GROUP)) > 0) return undefined;
    await this.tokens.revokeAll('setup', null);
    const token = await this.tokens.issue('setup', null, SETUP_LINK_TTL_SECONDS);
    return `${this.issuer}/setup/${token}`;
  }

  async isUsable(token: string): Promise<boolean> {
    return (
      (await this.tokens.peek('setup', token)) !== undefined &&
      (await this.userManager.countAdmins(ADMIN_GROUP)) === 0
    );
  }

  async createFirstAdmin(
    token: string,
    input: { email: string; name: string; password: string },
  ): Promise<User> {
    const manager = this.userManager;
    if (!(await this.isUsable(token))) throw new AppError('token_invalid');
    // Everything that can be refused is checked before the link is used up, so a typo in the
    // password does not burn the only setup link.
    const check = await manager.validatePassword(input.password);
    if (!check.ok) throw passwordRejected(check);
    if (await manager.findByEmail(input.email)) throw new AppError('email_taken');
    if (!(await this.tokens.redeem('setup', token))) throw new AppError('token_invalid');
    return manager.createUser({ ...input, groups: [ADMIN_GROUP], status: 'active' });
  }
}
