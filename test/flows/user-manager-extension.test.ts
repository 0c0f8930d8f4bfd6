import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AdminCaller,
  bearerCaller,
  clientCredentials,
  registerMachine,
} from '../fixtures/admin-http.ts';
import { EXCLAMATION_RULE } from '../fixtures/extensions/strict-user-manager.ts';
import { ApiClient } from '../support/api-client.ts';
import { Browser } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.ts';

const EXTENSIONS = resolve(import.meta.dirname, '../fixtures/extensions/strict-user-manager.ts');

describe('a UserManager replaced through GATEHOUSE_EXTENSIONS', () => {
  let db: TestDatabase;
  let sink: SmtpSink;
  let gh: TestGatehouse;
  let machine: AdminCaller;

  beforeAll(async () => {
    db = await createTestDatabase();
    sink = await startSmtpSink();
    gh = await startGatehouse({
      databaseUrl: db.url,
      env: { GATEHOUSE_EXTENSIONS: EXTENSIONS, SMTP_URL: sink.url },
    });
    const secret = await registerMachine(gh, 'provisioner', ['gatehouse:admin']);
    machine = bearerCaller(
      gh,
      String((await clientCredentials(gh, 'provisioner', secret, 'gatehouse:admin')).access_token),
    );
  });
  afterAll(async () => {
    await gh?.stop();
    await sink?.close();
    await db?.drop();
  });

  const signIn = async (email: string, password: string) => {
    const api = new ApiClient(new Browser(), gh.issuer);
    return { api, answer: await api.post('/api/auth/login', { username: email, password }) };
  };

  it('applies the stricter password rule when an administrator creates a user', async () => {
    const refused = await machine.call('POST', '/users', {
      email: 'bo@example.com',
      password: 'kettle drum song',
    });
    expect(refused.status).toBe(400);
    expect(refused.json.message).toBe(EXCLAMATION_RULE);
    const created = await machine.call('POST', '/users', {
      email: 'bo@example.com',
      password: 'kettle drum song!',
    });
    expect(created.status).toBe(201);
  });

  it('applies it when a user changes their password, next to the built-in rules', async () => {
    await machine.call('POST', '/users', { email: 'cy@example.com', password: 'kettle drum song!' });
    const { api, answer } = await signIn('cy@example.com', 'kettle drum song!');
    expect(answer.status).toBe(200);
    const change = (newPassword: string) =>
      api.post('/api/auth/change-password', { currentPassword: 'kettle drum song!', newPassword });
    expect((await change('another drum song')).json.message).toBe(EXCLAMATION_RULE);
    const both = await change('dr0m kqz');
    expect(both.json.details).toEqual({
      errors: ['The password must be at least 10 characters long.', EXCLAMATION_RULE],
    });
    expect((await change('another drum song!')).status).toBe(200);
    expect((await signIn('cy@example.com', 'another drum song!')).answer.status).toBe(200);
  });

  it('rebrands the invitation through its SendEmailNotification handler, and the invitee meets the rule', async () => {
    const invited = await machine.call('POST', '/users/invite', { email: 'dee@example.com', name: 'Dee' });
    expect(invited.status).toBe(201);
    const mail = await sink.waitFor('dee@example.com');
    expect(mail.subject).toBe('[Acme] You have been invited');
    expect(mail.text).toContain('Acme IT, room 101.');
    const token = mail.text.match(/\/invite\?token=([\w%-]+)/)?.[1] ?? '';

    const invitee = new ApiClient(new Browser(), gh.issuer);
    expect((await invitee.post('/api/auth/verify-invite', { token: decodeURIComponent(token) })).status).toBe(
      200,
    );
    const weak = await invitee.post('/api/auth/set-invited-user-password', { password: 'kettle drum song' });
    expect(weak.status).toBe(400);
    expect(weak.json.message).toBe(EXCLAMATION_RULE);
    const strong = await invitee.post('/api/auth/set-invited-user-password', {
      password: 'kettle drum song!',
    });
    expect(strong.status).toBe(200);
    expect((await signIn('dee@example.com', 'kettle drum song!')).answer.status).toBe(200);
  });

  it('takes over password-reset emails: Gatehouse sends none', async () => {
    const created = await machine.call('POST', '/users', {
      email: 'eve@example.com',
      password: 'kettle drum song!',
    });
    const userId = String(created.json.id);
    const request = await new ApiClient(new Browser(), gh.issuer).post('/api/auth/request-password-reset', {
      email: 'eve@example.com',
    });
    expect(request.status).toBe(200);
    // The reset runs in the background; the audit log says when the handler has had it.
    let events = await gh.gatehouse.audit.list({ affectedUserId: userId, type: 'SendEmailNotification' });
    for (let i = 0; i < 50 && events.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      events = await gh.gatehouse.audit.list({ affectedUserId: userId, type: 'SendEmailNotification' });
    }
    expect(events.map((e) => e.details)).toEqual([
      { emailType: 'PasswordReset', to: 'eve@example.com', handled: true },
    ]);
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.messages.filter((m) => m.to === 'eve@example.com')).toEqual([]);
  });
});
