import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notification, NotificationType } from '../../src/notifications/notification-types.ts';
import { ADMIN, type AdminCaller, sessionCaller } from '../fixtures/admin-http.ts';
import { ApiClient } from '../support/api-client.ts';
import { Browser } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

/** Every notification issue 3 is about. */
const TYPES = [
  'UserLoginSuccess',
  'UserLoginFailed',
  'UserLocked',
  'UserUnlocked',
  'UserResetAccessFailedCount',
  'UserLogoutSuccess',
  'UserPasswordChanged',
  'UserPasswordReset',
  'UserForgotPasswordRequested',
  'UserForgotPasswordChanged',
  'UserInvited',
  'UserInviteAccepted',
  'SendEmailNotification',
] as const satisfies NotificationType[];
const DECISIONS: NotificationType[] = ['UserLogoutSuccess', 'SendEmailNotification'];

interface Received {
  type: NotificationType;
  affectedUserId: string | undefined;
  performingUserId: string | undefined;
  ip: string | undefined;
  link?: string | undefined;
  text?: string | undefined;
}

const EMAIL = 'nora@example.com';

describe('notifications reach handlers and the audit log', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let admin: AdminCaller;
  let adminId: string;
  const received: Received[] = [];
  let thrown = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({
      databaseUrl: db.url,
      configure: (builder) => {
        for (const type of TYPES) {
          // First in line, and failing: for announcements the flow and the later handlers go on.
          if (!DECISIONS.includes(type)) {
            builder.notifications.on(type, () => {
              thrown++;
              throw new Error(`handler for ${type} fails`);
            });
          }
          builder.notifications.on(type, (n: Notification<NotificationType>) => {
            const email =
              n.type === 'SendEmailNotification' ? (n as Notification<'SendEmailNotification'>) : undefined;
            received.push({
              type: n.type,
              affectedUserId: n.affectedUserId,
              performingUserId: n.performingUserId,
              ip: n.ip,
              link: email?.message.link,
              text: email?.message.text,
            });
          });
        }
      },
    });
    adminId = (await gh.gatehouse.userManager.createUser({ ...ADMIN, groups: ['admin'] })).id;
    admin = await sessionCaller(gh, ADMIN);
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  const tokenOf = (link: string | undefined) => new URL(link ?? 'http://x').searchParams.get('token') ?? '';
  const lastLink = () => received.filter((r) => r.link).at(-1)?.link;

  it('publishes and audits each one, with the affected user and the ip, through the whole account life', async () => {
    // Invitation, accepted.
    const invited = await admin.call('POST', '/users/invite', { email: EMAIL, message: 'Welcome, Nora' });
    expect(invited.status).toBe(201);
    const userId = String(invited.json.id);
    const invitee = new ApiClient(new Browser(), gh.issuer);
    await invitee.post('/api/auth/verify-invite', { token: tokenOf(lastLink()) });
    expect(
      (await invitee.post('/api/auth/set-invited-user-password', { password: 'first passphrase' })).status,
    ).toBe(200);

    // A failure, a sign-in (which resets the count), a password change, a sign-out.
    const api = new ApiClient(new Browser(), gh.issuer);
    expect((await api.post('/api/auth/login', { username: EMAIL, password: 'not it at all' })).status).toBe(
      400,
    );
    expect(
      (await api.post('/api/auth/login', { username: EMAIL, password: 'first passphrase' })).status,
    ).toBe(200);
    const change = { currentPassword: 'first passphrase', newPassword: 'second passphrase' };
    expect((await api.post('/api/auth/change-password', change)).status).toBe(200);
    expect((await api.post('/api/auth/logout')).status).toBe(200);

    // Locked out by five failures, unlocked by the administrator.
    for (let i = 0; i < 5; i++)
      await api.post('/api/auth/login', { username: EMAIL, password: 'not it at all' });
    expect((await admin.call('POST', `/users/${userId}/unlock`, {})).status).toBe(200);

    // Forgotten password, reset with the emailed link.
    const before = lastLink();
    expect((await api.post('/api/auth/request-password-reset', { email: EMAIL })).status).toBe(200);
    await waitFor(() => lastLink() !== before);
    const reset = await api.post('/api/auth/set-password', {
      token: tokenOf(lastLink()),
      password: 'third passphrase',
    });
    expect(reset.status).toBe(200);

    const mine = received.filter((r) => r.affectedUserId === userId);
    expect(new Set(mine.map((r) => r.type))).toEqual(new Set(TYPES));
    for (const r of mine) expect(r.ip, r.type).toMatch(/127\.0\.0\.1$/);
    // Two sign-ins (accepting the invitation signs the invitee in; then the password login), each
    // announced once.
    expect(mine.filter((r) => r.type === 'UserLoginSuccess')).toHaveLength(2);
    expect(mine.find((r) => r.type === 'UserInvited')?.performingUserId).toBe(adminId);
    expect(mine.find((r) => r.type === 'UserUnlocked')?.performingUserId).toBe(adminId);
    // Every announcement's failing handler ran, and the recording handler after it still did.
    expect(thrown).toBe(received.filter((r) => !DECISIONS.includes(r.type)).length);

    // The administrator's own actions (AdminAction events) are checked in test/security/admin-audit.test.ts.
    const audited = await gh.gatehouse
      .db('audit_events')
      .where({ affected_user_id: userId })
      .whereNot({ type: 'AdminAction' })
      .orderBy('id');
    expect(audited.map((a) => a.type)).toEqual(mine.map((r) => r.type));
    for (const row of audited) expect(row.ip, row.type).toMatch(/127\.0\.0\.1$/);
    expect(audited.find((a) => a.type === 'UserInvited')?.performing_user_id).toBe(adminId);
  });

  it('never stores an email body or link in the audit log', async () => {
    const emails = received.filter((r) => r.type === 'SendEmailNotification');
    expect(emails.map((e) => e.link)).toEqual([
      expect.stringContaining('/invite?token='),
      expect.any(String),
    ]);
    const rows = await gh.gatehouse.db('audit_events').where({ type: 'SendEmailNotification' });
    expect(rows.map((r) => r.details)).toEqual([
      { emailType: 'UserInvite', to: EMAIL, handled: false },
      { emailType: 'PasswordReset', to: EMAIL, handled: false },
    ]);
    const everything = JSON.stringify(await gh.gatehouse.db('audit_events').select('details'));
    for (const email of emails) {
      expect(everything).not.toContain(tokenOf(email.link));
      expect(everything).not.toContain('Welcome, Nora');
    }
    expect(everything).not.toMatch(/passphrase|token=/);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}
