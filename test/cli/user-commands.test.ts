import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userResponse } from '../../src/api/admin/admin-schemas.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { type CliOptions, cliJson, expectOneLineError, expectRefusals, runCli } from './run-cli.ts';

interface UserJson {
  id: string;
  email: string;
  name: string;
  groups: string[];
  status: string;
  hasPassword: boolean;
  securityStamp?: string;
}

describe('gatehouse migrate and gatehouse user', () => {
  let db: TestDatabase;
  let on: CliOptions;

  beforeAll(async () => {
    db = await createTestDatabase();
    on = { env: { DATABASE_URL: db.url } };
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('applies pending migrations once, then reports none', async () => {
    const first = await runCli(['migrate'], on);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^Applied \d+ migration\(s\):\n {2}\d{14}_core\.ts/);
    expect(first.stderr).toBe('');
    expect(await cliJson(['migrate'], on)).toEqual({ applied: [] });
  });

  it('creates a user, lists, shows and updates it, and deletes it', async () => {
    const created = await runCli(
      [
        'user',
        'create',
        '--email',
        'ann@example.com',
        '--name',
        'Ann Admin',
        '--password',
        'correct horse battery',
      ].concat(['--group', 'editors', '--group', 'admin']),
      on,
    );
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('Created ann@example.com.');
    expect(created.stdout).toMatch(/groups: +admin\n +editors/);

    const listed = await cliJson<UserJson[]>(['user', 'list'], on);
    const ann = listed.find((u) => u.email === 'ann@example.com');
    expect(ann).toMatchObject({
      name: 'Ann Admin',
      groups: ['admin', 'editors'],
      status: 'active',
      hasPassword: true,
    });
    expect(ann).not.toHaveProperty('securityStamp');
    const table = await runCli(['user', 'list'], on);
    expect(table.stdout).toMatch(/^ID +EMAIL +NAME +STATUS +GROUPS\n/);
    expect(table.stdout).toContain('ann@example.com');

    const byId = await cliJson<UserJson>(['user', 'show', ann?.id ?? ''], on);
    expect(byId.email).toBe('ann@example.com');

    const updated = await cliJson<UserJson>(
      ['user', 'update', 'ann@example.com', '--name', 'Ann B', '--group', 'viewers', '--disable'],
      on,
    );
    expect(updated).toMatchObject({ id: ann?.id, name: 'Ann B', groups: ['viewers'], status: 'disabled' });
    const enabled = await cliJson<UserJson>(
      ['user', 'update', ann?.id ?? '', '--enable', '--no-group', '--email', 'ann.b@example.com'],
      on,
    );
    expect(enabled).toMatchObject({ email: 'ann.b@example.com', groups: [], status: 'active' });

    const deleted = await runCli(['user', 'delete', 'ann.b@example.com'], on);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain('Deleted ann.b@example.com');
    const gone = await runCli(['user', 'show', 'ann.b@example.com'], on);
    expect(expectOneLineError(gone)).toBe('gatehouse: No user "ann.b@example.com".');
    expect(gone.code).toBe(1);
  });

  it('marks the email verified only when told to', async () => {
    const vouched = await cliJson<UserJson & { emailVerified: boolean }>(
      ['user', 'create', '--email', 'vera@example.com', '--email-verified', '--no-password'],
      on,
    );
    expect(vouched.emailVerified).toBe(true);
    const unproven = await cliJson<UserJson & { emailVerified: boolean }>(
      ['user', 'create', '--email', 'una@example.com', '--no-password'],
      on,
    );
    expect(unproven.emailVerified).toBe(false);
  });

  it('creates a user without a password and sets one later', async () => {
    const bob = await cliJson<UserJson>(
      ['user', 'create', '--email', 'bob@example.com', '--no-password'],
      on,
    );
    expect(bob.hasPassword).toBe(false);
    const withPassword = await cliJson<UserJson>(
      ['user', 'update', 'bob@example.com', '--password', 'another long passphrase'],
      on,
    );
    expect(withPassword.hasPassword).toBe(true);
  });

  it('invites a user: an invited account and a single-use link, a fresh one on a second invitation', async () => {
    const invited = await cliJson<UserJson & { invitationLink: string }>(
      ['user', 'create', '--email', 'ivy@example.com', '--name', 'Ivy', '--group', 'editors', '--invite']
        // The invitation, and the emails after it, in Ivy's language.
        .concat(['--locale', 'nl']),
      { env: { ...on.env, ISSUER: 'https://id.example.com' } },
    );
    expect(invited).toMatchObject({
      email: 'ivy@example.com',
      status: 'invited',
      hasPassword: false,
      locale: 'nl',
    });
    expect(invited.invitationLink).toMatch(/^https:\/\/id\.example\.com\/invite\?token=\S+$/);
    const again = await runCli(['user', 'create', '--email', 'ivy@example.com', '--invite'], on);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(
      /^Invited ivy@example\.com\.\nInvitation link \(single use, valid \d+ h\): http/,
    );
    expect(again.stdout).not.toContain(invited.invitationLink);
  });

  it('refuses bad input with one line and a failure status', async () => {
    await cliJson(['user', 'create', '--email', 'taken@example.com', '--no-password'], on);
    const cases: Array<[string[], RegExp, number]> = [
      [
        ['user', 'create', '--email', 'taken@example.com', '--no-password'],
        /A user with that email address already exists/,
        1,
      ],
      [
        ['user', 'create', '--email', 'short@example.com', '--password', 'short'],
        /at least 10 characters/,
        1,
      ],
      [
        ['user', 'create', '--email', 'not-an-email', '--no-password'],
        /^gatehouse: --email: "not-an-email" is not an email address: Enter an email address such as name@example\.com\.$/,
        2,
      ],
      [['user', 'create', '--name', 'No Email'], /required option '--email <email>' not specified/, 2],
      [['user', 'create', '--email', 'taken@example.com', '--invite'], /already has an account/, 1],
      [
        ['user', 'create', '--email', 'i@example.com', '--invite', '--password', 'long enough password'],
        /--invite cannot be used with --password$/,
        2,
      ],
      [['user', 'show', 'nobody@example.com'], /No user "nobody@example.com"/, 1],
      [['user', 'update', 'nobody@example.com', '--name', 'X'], /No user "nobody@example.com"/, 1],
      [
        ['user', 'delete', '00000000-0000-4000-8000-000000000000'],
        /No user "00000000-0000-4000-8000-000000000000"/,
        1,
      ],
      [['user', 'update', 'taken@example.com'], /nothing to change/, 2],
      [['user', 'update', 'taken@example.com', '--disable', '--enable'], /cannot be used with option/, 2],
      [['user', 'update', 'bob@example.com', '--email', 'taken@example.com'], /already exists/, 1],
      [['user', 'update', 'bob@example.com', '--password', 'tiny'], /at least 10 characters/, 1],
      [['user', 'lst'], /unknown command 'lst' \(Did you mean list\?\)/, 2],
      // Issue 14: each input the command used to take, or to misreport.
      [
        ['user', 'create', '--emali', 'typo@example.com', '--no-password'],
        /^gatehouse: unknown option '--emali' \(Did you mean --email\?\)$/,
        2,
      ],
      [
        ['user', 'create', '--email', 'nobody-in@example.com'],
        /^gatehouse: give --password, --invite, or --no-password for an account that signs in only through an upstream provider$/,
        2,
      ],
      [
        ['user', 'create', '--email', 'nobody-in@example.com', '--invite', '--no-password'],
        /^gatehouse: --invite cannot be used with --no-password$/,
        2,
      ],
      [
        ['user', 'create', '--email', 'g@example.com', '--no-password', '--group', 'bad group!'],
        /^gatehouse: --group: "bad group!" is not a valid group name: letters, digits/,
        2,
      ],
      [
        ['user', 'update', 'bob@example.com', '--group', 'staff', '--group', 'bad group!'],
        /^gatehouse: --group: "bad group!" is not a valid group name/,
        2,
      ],
      [
        ['user', 'update', 'bob@example.com', '--password', '-'],
        /expected the value on stdin, found nothing/,
        2,
      ],
    ];
    await expectRefusals(cases, on);
    // The refused password change left the rest of the account alone.
    expect((await cliJson<UserJson>(['user', 'show', 'bob@example.com'], on)).hasPassword).toBe(true);
  }, 480_000);

  it('takes internationalised addresses and prints the admin API field names', async () => {
    const [jurgen, chinese] = await Promise.all([
      cliJson<Record<string, unknown>>(
        ['user', 'create', '--email', 'jürgen@bücher.example', '--no-password'],
        on,
      ),
      cliJson<Record<string, unknown>>(['user', 'create', '--email', '用户@例子.广告', '--no-password'], on),
    ]);
    expect(jurgen.email).toBe('jürgen@bücher.example');
    expect(chinese.email).toBe('用户@例子.广告');
    // GET /api/admin/v1/users/{id}'s names (admin-schemas.ts userResponse), and only these.
    expect(Object.keys(jurgen).sort()).toEqual(Object.keys(userResponse.shape).sort());
    expect(jurgen).toMatchObject({ failedLoginAttempts: 0, lockedOut: false, lockoutEnd: null });
  });

  it('reports failures as one JSON line on stderr under --json', async () => {
    const [missing, typo] = await Promise.all([
      runCli(['user', 'show', 'nobody@example.com', '--json'], on),
      runCli(['user', 'create', '--emali', 'x@example.com', '--json'], on),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(JSON.parse(missing.stderr)).toEqual({
      error: { code: 'not_found', message: 'No user "nobody@example.com".' },
    });
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(typo.code).toBe(2);
    expect(typo.stdout).toBe('');
    expect(JSON.parse(typo.stderr)).toEqual({
      error: { code: 'unknown_option', message: "unknown option '--emali' (Did you mean --email?)" },
    });
  });
});
