import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { Browser } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

const PASSWORD = 'a password that is long';

/**
 * Issue 10: without SMTP_URL, reset links, invitation links and two-factor codes went to the info
 * log. Now they wait in the outbox table, and the log (at trace, the most talkative level) says
 * only that an email is waiting.
 */
describe('no secret in the log', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let log = '';

  beforeAll(async () => {
    db = await createTestDatabase();
    const logStream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        log += chunk.toString('utf8');
        done();
      },
    });
    gh = await startGatehouse({
      databaseUrl: db.url,
      env: { LOG_LEVEL: 'trace', LOG_FORMAT: 'json', EMAIL_DELIVERY: 'outbox' },
      logStream,
    });
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  async function lastOutboxText(to: string): Promise<string> {
    const row = await gh.gatehouse.db('outbox').where({ to }).orderBy('id', 'desc').first();
    return String(row?.text ?? '');
  }

  it('keeps invitation links, reset links and email codes out of every log line', async () => {
    const secrets: string[] = [];
    // An invitation.
    const { link } = await gh.gatehouse.invitations.invite({ email: 'invitee@example.com' });
    secrets.push(new URL(link).searchParams.get('token') ?? link);

    // A password reset, asked for over HTTP.
    const user = await gh.gatehouse.userManager.createUser({
      email: 'resets@example.com',
      password: PASSWORD,
    });
    const api = new ApiClient(new Browser(), gh.issuer);
    expect((await api.post('/api/auth/request-password-reset', { email: user.email })).status).toBe(200);
    await expect.poll(() => lastOutboxText(user.email), { timeout: 10_000 }).toMatch(/token=/);
    secrets.push(/token=([\w-]+)/.exec(await lastOutboxText(user.email))?.[1] ?? 'missing');

    // Email two-factor: the enrolment code, then a sign-in code sent over HTTP.
    await gh.gatehouse.twoFactor.beginEmail(user);
    const enrolment = /\b(\d{6})\b/.exec(await lastOutboxText(user.email))?.[1] ?? 'missing';
    await gh.gatehouse.twoFactor.confirmEmail(user, enrolment);
    const signIn = new ApiClient(new Browser(), gh.issuer);
    expect((await signIn.post('/api/auth/login', { username: user.email, password: PASSWORD })).status).toBe(
      402,
    );
    expect((await signIn.post('/api/auth/two-factor/send', { provider: 'email' })).status).toBe(200);
    const code = /\b(\d{6})\b/.exec(await lastOutboxText(user.email))?.[1] ?? 'missing';
    secrets.push(enrolment, code);

    expect(secrets.every((s) => s.length >= 6 && s !== 'missing')).toBe(true);
    expect(log).toContain('email waiting in the outbox table');
    for (const secret of secrets) expect(log).not.toContain(secret);
    expect(log).not.toMatch(/token=|Your code|reset-password\?/);
  });
});
