import { userInfo } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliJson } from '../cli/run-cli.ts';
import {
  ADMIN,
  type AdminCaller,
  bearerCaller,
  clientCredentials,
  registerMachine,
  sessionCaller,
} from '../fixtures/admin-http.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

interface AuditJson {
  type: string;
  actor: { kind: string; id: string } | null;
  ip: string | null;
  details: {
    action?: string;
    target?: { id: string };
    before?: Record<string, unknown>;
    after?: Record<string, unknown>;
  };
}

/** Issue 10, "Why": admin actions wrote no audit event, and a machine client's had no actor at all. */
describe('admin actions are audited with their actor', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let machine: AdminCaller;
  let admin: AdminCaller;
  let adminId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({
      databaseUrl: db.url,
      configure: (b) => {
        b.notifications.on('SendEmailNotification', (n) => n.handleEmail());
      },
    });
    adminId = (await gh.gatehouse.userManager.createUser({ ...ADMIN, groups: ['admin'] })).id;
    const secret = await registerMachine(gh, 'provisioner', ['gatehouse:admin']);
    const token = await clientCredentials(gh, 'provisioner', secret, 'gatehouse:admin');
    machine = bearerCaller(gh, String(token.access_token));
    admin = await sessionCaller(gh, ADMIN);
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  async function adminEvents(): Promise<AuditJson[]> {
    const listed = await admin.call('GET', '/audit-events?type=AdminAction&limit=50');
    expect(listed.status).toBe(200);
    return listed.json.events as AuditJson[];
  }

  it('records a machine client as the actor, with before and after values and no password', async () => {
    const created = await machine.call('POST', '/users', {
      email: 'made-by-machine@example.com',
      password: 'machine chosen pass 1',
    });
    expect(created.status).toBe(201);
    const id = String(created.json.id);
    expect((await machine.call('PATCH', `/users/${id}`, { name: 'Renamed' })).status).toBe(200);
    expect(
      (await machine.call('POST', `/users/${id}/password`, { password: 'another pass 22' })).status,
    ).toBe(200);
    expect((await machine.call('DELETE', `/users/${id}`)).status).toBe(204);

    const events = (await adminEvents()).filter((e) => e.details.target?.id === id);
    expect(events.map((e) => e.details.action)).toEqual([
      'user.delete',
      'user.set-password',
      'user.update',
      'user.create',
    ]);
    for (const event of events) expect(event.actor).toEqual({ kind: 'client', id: 'provisioner' });
    const update = events.find((e) => e.details.action === 'user.update');
    expect(update?.details.before).toMatchObject({ name: '' });
    expect(update?.details.after).toMatchObject({ name: 'Renamed' });
    expect(JSON.stringify(events)).not.toMatch(/machine chosen pass|another pass 22/);
  });

  it('records a signed-in administrator as the actor, with the caller IP', async () => {
    const created = await admin.call('POST', '/users', {
      email: 'by-admin@example.com',
      password: 'admin chosen pass 1',
    });
    expect(created.status).toBe(201);
    const [event] = (await adminEvents()).filter((e) => e.details.target?.id === created.json.id);
    expect(event).toMatchObject({ actor: { kind: 'user', id: adminId }, ip: '127.0.0.1' });
  });

  it('records `cli` and the OS user for the command line', async () => {
    const on = { env: { DATABASE_URL: db.url } };
    // Two commands at once: each child process takes a while to start on a busy machine.
    const [made] = await Promise.all([
      cliJson<{ id: string }>(
        ['user', 'create', '--email', 'cli-made@example.com', '--password', 'cli chosen pass 1'],
        on,
      ),
      cliJson(['client', 'create', '--id', 'cli-app', '--redirect-uri', 'https://app.example/cb'], on),
    ]);
    const events = await adminEvents();
    const byCli = events.filter((e) => e.actor?.kind === 'cli');
    expect(byCli.map((e) => e.details.action).sort()).toEqual(['client.create', 'user.create']);
    for (const event of byCli) expect(event.actor).toEqual({ kind: 'cli', id: userInfo().username });
    expect(byCli.find((e) => e.details.action === 'user.create')?.details.target?.id).toBe(made.id);
    expect(JSON.stringify(events)).not.toMatch(/cli chosen pass/);
    // Two real command processes, each loading the whole program (~10-15 s each on a busy machine).
  }, 120_000);
});
