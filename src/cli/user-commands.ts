import { type Command, Option } from 'commander';
import { adminUserJson } from '../api/admin/admin-user-json.ts';
import type { Gatehouse } from '../container.ts';
import { AppError } from '../errors/app-error.ts';
import { LOCALES, type Locale } from '../i18n/i18n.ts';
import { cliActor } from '../notifications/admin-audit.ts';
import { isLockedOut, type User } from '../users/user.ts';
import type { UserManager } from '../users/user-manager.ts';
import type { UserChanges } from '../users/user-store.ts';
import { auditCli } from './audit.ts';
import { required } from './errors.ts';
import { fields, type OutputOptions, print, table, when } from './output.ts';
import { choice, collect, requireEmail, requireGroups, secretArg } from './parsing.ts';
import { type Env, UsageError, withGatehouse } from './runtime.ts';

interface CreateFlags extends OutputOptions {
  email: string;
  locale?: Locale;
  name?: string;
  /** `false` from `--no-password`: an account that signs in only through an upstream provider. */
  password?: string | false;
  invite?: boolean;
  group?: string[];
  emailVerified?: boolean;
  allowOtherEmail?: boolean;
}

interface UpdateFlags extends OutputOptions {
  name?: string;
  email?: string;
  /** `false` from `--no-group`: remove every group. */
  group?: string[] | false;
  disable?: boolean;
  enable?: boolean;
  password?: string;
  /** `false` from `--no-allow-local-password`. */
  allowLocalPassword?: boolean;
}

const json = () => new Option('--json', 'print machine-readable JSON');

export function registerUserCommands(program: Command, env: Env): void {
  const user = program.command('user').description('manage local user accounts');

  user
    .command('create')
    .description('create a user')
    .addOption(required(new Option('--email <email>', 'email address, also the username')))
    .option('--name <name>', 'display name')
    .option('--password <password>', 'initial password (- reads it from stdin)')
    .option('--invite', 'send an invitation email: the user chooses a password')
    .option('--no-password', 'no password: the user signs in through an upstream provider only')
    .addOption(
      new Option(
        '--locale <locale>',
        "the user's language: their emails are written in it (default en)",
      ).argParser(choice(LOCALES)),
    )
    .option('--group <group>', 'add to a group (repeatable)', collect)
    .addOption(
      new Option(
        '--email-verified',
        "the address is known to be the user's: applications see email_verified: true",
      ).conflicts('invite'),
    )
    .option(
      '--allow-other-email',
      'with --invite: the invitee may accept through an upstream account with another address',
    )
    .addOption(json())
    .action(async (flags: CreateFlags) => {
      checkCreateFlags(flags);
      const password = flags.password === false ? false : await secretArg(flags.password);
      await withGatehouse(env, (g) => createUser(g, { ...flags, password }));
    });

  user
    .command('list')
    .description('list users')
    .addOption(json())
    .action((flags: OutputOptions) => withGatehouse(env, (g) => listUsers(g, flags)));

  user
    .command('show <id-or-email>')
    .description('show one user')
    .addOption(json())
    .action((ref: string, flags: OutputOptions) =>
      withGatehouse(env, async (g) => printUser(flags, await resolveUser(g.userManager, ref))),
    );

  user
    .command('update <id-or-email>')
    .description('change a user; --group replaces the groups')
    .option('--name <name>', 'display name')
    .option('--email <email>', 'new email address')
    .option('--group <group>', 'set the groups (repeatable)', collect)
    .option('--no-group', 'remove the user from every group')
    .addOption(new Option('--disable', 'disable the account').conflicts('enable'))
    .option('--enable', 'enable the account')
    .option('--password <password>', 'set a new password (- reads it from stdin)')
    .option(
      '--allow-local-password',
      'a user without a password may set one through "Forgot password" (never under DenyLocalLogin)',
    )
    .option('--no-allow-local-password', 'only an administrator may give this user a password')
    .addOption(json())
    .action(async (ref: string, flags: UpdateFlags) => {
      if (flags.group) requireGroups(flags.group);
      const password = await secretArg(flags.password);
      await withGatehouse(env, (g) => updateUser(g, ref, { ...flags, password }));
    });

  user
    .command('delete <id-or-email>')
    .description('delete a user')
    .addOption(json())
    .action((ref: string, flags: OutputOptions) => withGatehouse(env, (g) => deleteUser(g, ref, flags)));
}

/**
 * An account nobody can sign in to was created silently when neither a password nor an invitation
 * was asked for: now the operator says which of the three ways in the account has.
 */
function checkCreateFlags(flags: CreateFlags): void {
  const ways = [flags.password !== undefined, flags.invite === true].filter(Boolean).length;
  if (ways === 0) {
    throw new UsageError(
      'give --password, --invite, or --no-password for an account that signs in only through an upstream provider',
    );
  }
  if (ways > 1) {
    throw new UsageError(`--invite cannot be used with --${flags.password === false ? 'no-' : ''}password`);
  }
  requireEmail('--email', flags.email);
  if (flags.group) requireGroups(flags.group);
}

async function createUser(g: Gatehouse, flags: CreateFlags): Promise<void> {
  const email = requireEmail('--email', flags.email);
  if (flags.invite) return inviteUser(g, email, flags);
  if (flags.allowOtherEmail) throw new UsageError('--allow-other-email goes with --invite');
  const created = await g.userManager.createUser({
    email,
    name: flags.name,
    groups: flags.group,
    password: flags.password || undefined,
    emailVerified: flags.emailVerified ?? false,
    locale: flags.locale,
  });
  await auditCli(g, {
    action: 'user.create',
    target: { type: 'user', id: created.id },
    after: userView(created),
  });
  const note = created.hasPassword
    ? `Created ${created.email}.`
    : `Created ${created.email} without a password: they sign in through an upstream provider (or once a password is set).`;
  print(flags, userView(created), () => `${note}\n${userFields(created)}`);
}

/**
 * The invitation goes out as email (or to the outbox without SMTP_URL); the link is printed as well,
 * as `serve` prints the first-run link, for an operator who has no mail set up yet.
 */
async function inviteUser(g: Gatehouse, email: string, flags: CreateFlags): Promise<void> {
  const { user, link } = await g.invitations.invite(
    {
      email,
      name: flags.name,
      groups: flags.group,
      allowOtherEmail: flags.allowOtherEmail,
      locale: flags.locale,
    },
    cliActor(),
  );
  await auditCli(g, {
    action: 'invitation.send',
    target: { type: 'user', id: user.id },
    after: userView(user),
  });
  const hours = Math.round(g.settings.inviteTtlSeconds / 3600);
  print(flags, { ...userView(user), invitationLink: link }, () =>
    [
      `Invited ${user.email}.`,
      `Invitation link (single use, valid ${hours} h): ${link}`,
      userFields(user),
    ].join('\n'),
  );
}

async function listUsers(g: Gatehouse, flags: OutputOptions): Promise<void> {
  const users = await g.userManager.listUsers();
  print(
    flags,
    users.map(userView),
    () =>
      table(
        ['ID', 'EMAIL', 'NAME', 'STATUS', 'GROUPS'],
        users.map((u) => [u.id, u.email, u.name, u.status, u.groups.join(',')]),
      ) || 'No users.',
  );
}

async function updateUser(g: Gatehouse, ref: string, flags: UpdateFlags): Promise<void> {
  const changes = userChanges(flags);
  if (Object.keys(changes).length === 0 && flags.password === undefined) {
    throw new UsageError(
      'nothing to change: give --name, --email, --group, --disable, --enable, --password or --[no-]allow-local-password',
    );
  }
  const manager = g.userManager;
  const current = await resolveUser(manager, ref);
  if (changes.email !== undefined) {
    // The unique index would refuse it too, but with a database error rather than this message.
    const holder = await manager.findByEmail(changes.email);
    if (holder && holder.id !== current.id) throw new AppError('email_taken');
  }
  // The password first: it is the change most likely to be refused, and then nothing has changed.
  if (flags.password !== undefined) await manager.resetPassword(current.id, flags.password);
  const updated = Object.keys(changes).length
    ? await manager.updateUser(current.id, changes)
    : await resolveUser(manager, current.id);
  await auditCli(g, {
    action: 'user.update',
    target: { type: 'user', id: current.id },
    before: userView(current),
    after: { ...userView(updated), ...(flags.password !== undefined ? { password: 'changed' } : {}) },
  });
  print(flags, userView(updated), () => `Updated ${updated.email}.\n${userFields(updated)}`);
}

function userChanges(flags: UpdateFlags): Omit<UserChanges, 'passwordHash'> {
  const changes: Omit<UserChanges, 'passwordHash'> = {};
  if (flags.name !== undefined) changes.name = flags.name;
  if (flags.email !== undefined) changes.email = requireEmail('--email', flags.email);
  if (flags.group !== undefined) changes.groups = flags.group === false ? [] : flags.group;
  if (flags.disable) changes.status = 'disabled';
  if (flags.enable) changes.status = 'active';
  if (flags.allowLocalPassword !== undefined) changes.localPasswordAllowed = flags.allowLocalPassword;
  return changes;
}

async function deleteUser(g: Gatehouse, ref: string, flags: OutputOptions): Promise<void> {
  const user = await resolveUser(g.userManager, ref);
  await g.userManager.deleteUser(user.id);
  await auditCli(g, { action: 'user.delete', target: { type: 'user', id: user.id }, before: userView(user) });
  print(flags, { deleted: user.id, email: user.email }, () => `Deleted ${user.email} (${user.id}).`);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Users are named by id or by email; an id is a UUID, which no email address is. */
async function resolveUser(manager: UserManager, ref: string): Promise<User> {
  const user = UUID.test(ref) ? await manager.findById(ref) : await manager.findByEmail(ref);
  if (!user) throw new AppError('not_found', `No user "${ref}".`);
  return user;
}

/** The user as the admin API shows it (`GET /api/admin/v1/users/{id}`): the same names, the same dates. */
const userView = adminUserJson;

function printUser(flags: OutputOptions, user: User): void {
  print(flags, userView(user), () => userFields(user));
}

function userFields(user: User): string {
  return fields([
    ['id', user.id],
    ['email', user.email],
    ['name', user.name || '-'],
    ['status', user.status],
    ['groups', user.groups],
    ['password', user.hasPassword ? 'set' : user.localPasswordAllowed ? 'not set (may set one)' : 'not set'],
    ['language', user.locale ?? '-'],
    ...(isLockedOut(user) ? [['locked until', when(user.lockoutEnd)] as [string, string]] : []),
    ['last sign-in', when(user.lastLoginAt)],
    ['created', when(user.createdAt)],
    ['updated', when(user.updatedAt)],
  ]);
}
