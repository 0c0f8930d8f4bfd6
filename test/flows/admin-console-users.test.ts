import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN } from '../fixtures/admin-http.ts';
import { Browser, type Page, textOf } from '../support/browser.ts';
import { consoleSignIn } from '../support/console.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

const MEMBER = { email: 'member@example.com', password: 'member passphrase 1', name: 'Mo Member' };

/** The console's user actions, each a button on the user's page, end to end over HTTP. */
describe('the console’s user actions', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let admin: Browser;
  let memberId = '';

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    await gh.gatehouse.userManager.createUser({ ...ADMIN, groups: ['admin'] });
    memberId = (await gh.gatehouse.userManager.createUser(MEMBER)).id;
    ({ browser: admin } = await consoleSignIn(gh, ADMIN, '/admin/users'));
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  const userPage = (id: string) => admin.visit(`${gh.issuer}/admin/users/${id}`);
  /** Presses the button posting to /admin/users/:id/<action> and returns the page it leads back to. */
  async function press(page: Page, id: string, action: string): Promise<string> {
    const done = await admin.follow(await admin.submit(page, `form[action="/admin/users/${id}/${action}"]`));
    return textOf(done);
  }
  const outboxSubjects = async () =>
    (await gh.gatehouse.outbox.list({ offset: 0, limit: 100 })).messages.map((m) => `${m.to} ${m.emailType}`);

  it('resends an invitation and sends a password-reset link, each by email', async () => {
    const invited = await admin.submit(await admin.visit(`${gh.issuer}/admin/users/new`), 'form.panel', {
      email: 'ivy@example.com',
      how: 'invite',
    });
    const ivyId = /\/admin\/users\/([\w-]+)/.exec(invited.location ?? '')?.[1] ?? '';
    expect(await press(await userPage(ivyId), ivyId, 'resend-invite')).toContain(
      'The invitation has been sent.',
    );
    expect((await outboxSubjects()).filter((s) => s.startsWith('ivy@example.com')).length).toBe(2);

    expect(await press(await userPage(memberId), memberId, 'send-reset')).toContain(
      'A password-reset link has been sent.',
    );
    expect(await outboxSubjects()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^member@example.com /)]),
    );
  });

  it('unlocks a locked account and resets two-factor', async () => {
    await gh.gatehouse
      .db('users')
      .where({ id: memberId })
      .update({ failed_count: 5, lockout_end: new Date(Date.now() + 3_600_000) });
    expect(await press(await userPage(memberId), memberId, 'unlock')).toContain('The user is unlocked.');
    expect((await gh.gatehouse.userManager.findById(memberId))?.lockoutEnd ?? null).toBeNull();

    const member = await gh.gatehouse.userManager.findById(memberId);
    if (!member) throw new Error('no member');
    const enrolment = await gh.gatehouse.twoFactor.beginTotp(member);
    await gh.gatehouse.twoFactor.confirmTotp(member, await generate({ secret: enrolment.secret }));
    const page = await userPage(memberId);
    expect(textOf(page)).not.toContain('Not set up');
    expect(await press(page, memberId, 'reset-two-factor')).toContain('Two-factor authentication is reset');
    expect(textOf(await userPage(memberId))).toContain('Not set up');
  });

  it('removes a linked login', async () => {
    await gh.gatehouse
      .db('external_logins')
      .insert({ provider_alias: 'corp', subject: 'corp-mo', user_id: memberId, email: MEMBER.email });
    const page = await userPage(memberId);
    expect(textOf(page)).toContain('corp-mo');
    expect(await press(page, memberId, 'unlink')).toContain('The linked login is removed.');
    expect(await gh.gatehouse.db('external_logins').where({ user_id: memberId })).toEqual([]);
  });

  it('ends one of the user’s sessions, then disables, enables and deletes the user', async () => {
    await consoleSignIn(gh, MEMBER, '/account', new Browser());
    await consoleSignIn(gh, MEMBER, '/account', new Browser());
    let page = await userPage(memberId);
    const sessions = () => gh.gatehouse.sessions.listFor(memberId);
    expect(await sessions()).toHaveLength(2);
    expect(await press(page, memberId, 'end-session')).toContain('The session has ended.');
    expect(await sessions()).toHaveLength(1);

    page = await userPage(memberId);
    expect(await press(page, memberId, 'disable')).toContain('The user is disabled');
    expect(await sessions()).toHaveLength(0);
    expect(await press(await userPage(memberId), memberId, 'enable')).toContain('The user is enabled.');
    expect(await press(await userPage(memberId), memberId, 'delete')).toContain('Deleted.');
    expect(await gh.gatehouse.userManager.findById(memberId)).toBeUndefined();

    const audit = await gh.gatehouse.audit.list({ type: 'AdminAction' });
    expect(audit.map((e) => e.details.action)).toEqual(
      expect.arrayContaining([
        'user.resend-invite',
        'user.send-reset',
        'user.unlock',
        'user.reset-two-factor',
        'user.unlink',
        'user.end-session',
        'user.disable',
        'user.enable',
        'user.delete',
      ]),
    );
  });
});
