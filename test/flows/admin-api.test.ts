import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN,
  type AdminCaller,
  bearerCaller,
  clientCredentials,
  registerMachine,
  sessionCaller,
} from '../fixtures/admin-http.ts';
import { ApiClient } from '../support/api-client.ts';
import { Browser } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { authorize, redeem, registerApp, type TestApp, USER } from '../support/sign-in.ts';

const STAFF = { email: 'staff@example.com', password: 'staff passphrase 1' };

describe('/api/admin/v1', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let app: TestApp;
  let adminId: string;
  let machine: AdminCaller;
  let admin: AdminCaller;
  const inviteLinks: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({
      databaseUrl: db.url,
      // The invitation link reaches the test through the handler; no email is sent.
      configure: (builder) => {
        builder.notifications.on('SendEmailNotification', (n) => {
          if (n.message.link) inviteLinks.push(n.message.link);
          n.handleEmail();
        });
      },
    });
    const manager = gh.gatehouse.userManager;
    adminId = (await manager.createUser({ ...ADMIN, groups: ['admin'] })).id;
    await manager.createUser({ ...STAFF, groups: ['staff'] });
    app = await registerApp(gh);
    const secret = await registerMachine(gh, 'provisioner', ['gatehouse:admin']);
    const token = await clientCredentials(gh, 'provisioner', secret, 'gatehouse:admin');
    expect(token).toMatchObject({ scope: 'gatehouse:admin', token_type: 'Bearer' });
    machine = bearerCaller(gh, String(token.access_token));
    admin = await sessionCaller(gh, ADMIN);
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  it('answers 401 without credentials or with a token that is not an admin client token', async () => {
    const anonymous = await fetch(`${gh.issuer}/api/admin/v1/users`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    for (const header of ['Bearer not-a-token-at-all-0123456789', 'Basic YWRtaW46YWRtaW4=', 'Bearer']) {
      const response = await fetch(`${gh.issuer}/api/admin/v1/users`, { headers: { authorization: header } });
      expect(response.status, header).toBe(401);
    }
    // A user's access token (authorization code flow) is not a machine token.
    const tokens = await redeem(app.config, await authorize(new Browser(), app.config));
    expect((await bearerCaller(gh, tokens.access_token).call('GET', '/users')).status).toBe(401);
  });

  it('answers 403 to a signed-in non-admin and to clients without the admin scope', async () => {
    const staff = await sessionCaller(gh, STAFF);
    const refused = await staff.call('GET', '/users');
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ error: 'forbidden' });

    // Registered with no scope list: it may ask for the user scopes only, never the admin one (issue 10).
    const looseSecret = await registerMachine(gh, 'loose', []);
    const loose = await clientCredentials(gh, 'loose', looseSecret, 'gatehouse:admin');
    expect(loose).toMatchObject({ error: 'invalid_scope' });
    // Registered with the scope but not asking for it.
    const secret = await registerMachine(gh, 'shy', ['gatehouse:admin', 'groups']);
    const shy = await clientCredentials(gh, 'shy', secret, 'groups');
    const shyAnswer = await bearerCaller(gh, String(shy.access_token)).call('GET', '/users');
    expect(shyAnswer.status).toBe(403);
    expect(shyAnswer.headers.get('www-authenticate')).toContain('insufficient_scope');
  });

  it('needs the XSRF header for changes made from a browser session, not with a bearer token', async () => {
    const noXsrf = await sessionCaller(gh, ADMIN, { xsrf: false });
    expect((await noXsrf.call('GET', '/users')).status).toBe(200);
    const post = await noXsrf.call('POST', '/users', {
      email: 'csrf@example.com',
      password: 'long enough pass',
    });
    expect(post.status).toBe(403);
    expect(post.json).toMatchObject({ error: 'csrf_failed' });
    expect(await gh.gatehouse.userManager.findByEmail('csrf@example.com')).toBeUndefined();
    const created = await machine.call('POST', '/users', {
      email: 'csrf@example.com',
      password: 'long enough pass',
    });
    expect(created.status).toBe(201);
  });

  it('creates, reads, lists, updates, sets a password for and deletes a user', async () => {
    const created = await machine.call('POST', '/users', {
      email: 'new.hire@example.com',
      name: 'New Hire',
      groups: ['editors'],
      password: 'first passphrase',
      emailVerified: true,
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      email: 'new.hire@example.com',
      groups: ['editors'],
      status: 'active',
      emailVerified: true,
    });
    expect(created.json).not.toHaveProperty('passwordHash');
    const id = String(created.json.id);

    expect((await admin.call('GET', `/users/${id}`)).json).toMatchObject({ id, name: 'New Hire' });
    const list = (await admin.call('GET', '/users')).json.users as Array<{ email: string }>;
    expect(list.map((u) => u.email)).toEqual(expect.arrayContaining([ADMIN.email, 'new.hire@example.com']));

    const patched = await admin.call('PATCH', `/users/${id}`, {
      name: 'Newly Hired',
      email: 'hire@example.com',
    });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ name: 'Newly Hired', email: 'hire@example.com' });
    const unverified = await admin.call('PATCH', `/users/${id}`, { emailVerified: false });
    expect(unverified.json).toMatchObject({ emailVerified: false });

    expect(
      (await admin.call('POST', `/users/${id}/password`, { password: 'second passphrase' })).status,
    ).toBe(200);
    const login = (password: string) =>
      new ApiClient(new Browser(), gh.issuer).post('/api/auth/login', {
        username: 'hire@example.com',
        password,
      });
    expect((await login('first passphrase')).status).toBe(400);
    expect((await login('second passphrase')).status).toBe(200);

    expect((await machine.call('DELETE', `/users/${id}`)).status).toBe(204);
    expect((await machine.call('GET', `/users/${id}`)).status).toBe(404);
    expect((await machine.call('DELETE', `/users/${id}`)).status).toBe(404);
  });

  it('answers 400 with the reason for bad input, 404 for unknown ids and 409 for a taken address', async () => {
    const cases: Array<[string, string, unknown, number, RegExp]> = [
      ['POST', '/users', { email: 'not an email', password: 'long enough pass' }, 400, /email/],
      ['POST', '/users', { email: 'x@example.com' }, 400, /password/],
      ['POST', '/users', { email: 'x@example.com', password: 'short' }, 400, /at least 10 characters/],
      ['POST', '/users', { email: 'x@example.com', password: 'long enough pass', role: 'x' }, 400, /role/],
      ['POST', '/users', { email: ADMIN.email.toUpperCase(), password: 'long enough pass' }, 409, /already/],
      ['POST', '/users', [1, 2], 400, /not valid/],
      ['PATCH', `/users/${adminId}`, {}, 400, /Nothing to change/],
      ['PATCH', `/users/${adminId}`, { status: 'invited' }, 400, /status/],
      ['PATCH', `/users/${adminId}`, { groups: 'admin' }, 400, /groups/],
      ['PATCH', '/users/00000000-0000-4000-8000-000000000000', { name: 'x' }, 404, /No such user/],
      ['GET', '/users/not-a-uuid', undefined, 404, /No such user/],
      // A NUL in the address is refused at the edge, before any route (issue 10).
      ['DELETE', '/users/%00', undefined, 400, /not allowed/],
      ['PATCH', '/users/%00', { name: 'x' }, 400, /not allowed/],
      ['PATCH', `/users/${adminId}`, { name: 'a\u0000b' }, 400, /not allowed/],
      ['POST', '/users/00000000-0000-4000-8000-000000000000/unlock', {}, 404, /No such user/],
      [
        'POST',
        '/users/00000000-0000-4000-8000-000000000000/password',
        { password: 'long enough pass' },
        404,
        /No such user/,
      ],
      ['GET', '/audit-events?userId=42', undefined, 400, /userId/],
      ['GET', '/audit-events?limit=0', undefined, 400, /limit/],
      ['GET', '/audit-events?type=a&type=b', undefined, 400, /type/],
    ];
    for (const [method, path, body, status, message] of cases) {
      const answer = await machine.call(method, path, body);
      expect(answer.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(status);
      expect(String(answer.json.message), `${method} ${path}`).toMatch(message);
    }
    const other = await machine.call('POST', '/users', {
      email: 'taken@example.com',
      password: 'long enough pass',
    });
    const taken = await machine.call('PATCH', `/users/${String(other.json.id)}`, { email: STAFF.email });
    expect(taken.status).toBe(409);
    const body = await fetch(`${gh.issuer}/api/admin/v1/users`, {
      method: 'POST',
      headers: { authorization: 'Bearer x'.padEnd(40, 'x'), 'content-type': 'application/json' },
      body: '{"email": ',
    });
    expect(body.status).toBe(400);
  });

  it('applies the same rules as the CLI and the console to addresses, groups and redirect URIs', async () => {
    // Internationalised addresses (RFC 6531) are taken, as `gatehouse user create` takes them.
    for (const email of ['jürgen@bücher.example', '用户@例子.广告']) {
      const created = await machine.call('POST', '/users', { email, password: 'long enough pass' });
      expect(created.status, email).toBe(201);
      expect(created.json.email).toBe(email);
    }
    const cases: Array<[string, string, unknown, RegExp]> = [
      [
        'POST',
        '/users',
        { email: 'a@localhost', password: 'long enough pass' },
        /after the @ is not a valid domain/,
      ],
      [
        'POST',
        '/users',
        { email: 'a b@example.com', password: 'long enough pass' },
        /before the @ is not valid/,
      ],
      [
        'POST',
        '/users',
        { email: 'g@example.com', password: 'long enough pass', groups: ['bad group!'] },
        /"bad group!" is not a valid group name: letters, digits/,
      ],
      [
        'PATCH',
        `/users/${adminId}`,
        { groups: ['admin', 'bad group!'] },
        /"bad group!" is not a valid group name/,
      ],
      ['POST', '/users/invite', { email: 'i@example.com', groups: ['no spaces'] }, /not a valid group name/],
      [
        'POST',
        '/clients',
        { clientId: 'wild', redirectUris: ['https://*.example.com/cb'] },
        /has a wildcard: redirect URIs are compared exactly/,
      ],
      [
        'POST',
        '/clients',
        { clientId: 'robot', grants: ['client_credentials'], redirectUris: ['https://app.example/cb'] },
        /only the client_credentials grant .* takes no redirect URI/,
      ],
    ];
    for (const [method, path, body, message] of cases) {
      const answer = await machine.call(method, path, body);
      expect(answer.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
      expect(String(answer.json.message), `${method} ${path}`).toMatch(message);
    }
  });

  it('keeps an administrator from disabling or deleting their own account', async () => {
    expect((await admin.call('PATCH', `/users/${adminId}`, { status: 'disabled' })).status).toBe(409);
    expect((await admin.call('PATCH', `/users/${adminId}`, { groups: ['staff'] })).status).toBe(409);
    expect((await admin.call('DELETE', `/users/${adminId}`)).status).toBe(409);
    expect((await admin.call('GET', '/users')).status).toBe(200);
  });

  it('invites a user; inviting again voids the first link; an invited user is not activated by PATCH', async () => {
    const invited = await admin.call('POST', '/users/invite', {
      email: 'invitee@example.com',
      name: 'Ivy Invitee',
      groups: ['editors'],
      message: 'Welcome aboard',
    });
    expect(invited.status).toBe(201);
    expect(invited.json).toMatchObject({ status: 'invited', hasPassword: false, groups: ['editors'] });
    expect(invited.json).not.toHaveProperty('link');
    const id = String(invited.json.id);
    const first = inviteLinks.at(-1);
    expect((await machine.call('POST', '/users/invite', { email: 'invitee@example.com' })).status).toBe(201);
    const second = inviteLinks.at(-1);
    expect(second).not.toBe(first);

    const verify = (link: string | undefined) =>
      new ApiClient(new Browser(), gh.issuer).post('/api/auth/verify-invite', {
        token: new URL(link ?? '').searchParams.get('token'),
      });
    expect((await verify(first)).json).toMatchObject({ error: 'token_invalid' });
    expect((await verify(second)).status).toBe(200);

    expect((await admin.call('PATCH', `/users/${id}`, { status: 'active' })).status).toBe(400);
    const events = await machine.call('GET', `/audit-events?userId=${id}&type=UserInvited`);
    expect(events.json.events).toEqual([
      expect.objectContaining({ type: 'UserInvited', affectedUserId: id, performingUserId: null }),
      expect.objectContaining({ type: 'UserInvited', affectedUserId: id, performingUserId: adminId }),
    ]);
    const limited = await machine.call('GET', `/audit-events?userId=${id}&limit=1`);
    expect(limited.json.events).toHaveLength(1);
    const unfiltered = await machine.call('GET', '/audit-events?userId=&type=&limit=');
    expect((unfiltered.json.events as unknown[]).length).toBeGreaterThan(2);
    // Re-inviting someone who already has an account is refused.
    expect((await admin.call('POST', '/users/invite', { email: STAFF.email })).status).toBe(409);
  });

  it('unlocks a locked account', async () => {
    const created = await machine.call('POST', '/users', {
      email: 'locked@example.com',
      password: 'right passphrase',
    });
    const id = String(created.json.id);
    const api = new ApiClient(new Browser(), gh.issuer);
    const login = (password: string) =>
      api.post('/api/auth/login', { username: 'locked@example.com', password });
    for (let i = 0; i < 5; i++) await login('wrong passphrase');
    expect((await machine.call('GET', `/users/${id}`)).json).toMatchObject({ lockedOut: true });
    expect((await login('right passphrase')).status).toBe(400);

    const unlocked = await admin.call('POST', `/users/${id}/unlock`, {});
    expect(unlocked.status).toBe(200);
    expect(unlocked.json).toMatchObject({ lockedOut: false, failedLoginAttempts: 0 });
    expect((await login('right passphrase')).status).toBe(200);
    const audit = await machine.call('GET', `/audit-events?userId=${id}&type=UserUnlocked`);
    expect(audit.json.events).toEqual([expect.objectContaining({ performingUserId: adminId })]);
  });

  describe.each([
    ['a groups change', { groups: ['readers', 'editors'] }],
    ['disabling', { status: 'disabled' }],
  ])('%s', (_label, change) => {
    it("ends the user's sessions and revokes their grants", async () => {
      await gh.gatehouse.userManager.updateUser(app.userId, { status: 'active', groups: ['readers'] });
      const browser = new Browser();
      const tokens = await redeem(app.config, await authorize(browser, app.config));
      const session = new ApiClient(browser, gh.issuer);
      expect((await session.get('/api/auth/is-authenticated')).json).toEqual({ isAuthenticated: true });

      expect((await machine.call('PATCH', `/users/${app.userId}`, change)).status).toBe(200);

      await expect(oidc.refreshTokenGrant(app.config, tokens.refresh_token ?? '')).rejects.toMatchObject({
        error: 'invalid_grant',
      });
      expect((await oidc.tokenIntrospection(app.config, tokens.access_token)).active).toBe(false);
      expect((await session.get('/api/auth/is-authenticated')).json).toEqual({ isAuthenticated: false });
      const again = await new ApiClient(new Browser(), gh.issuer).post('/api/auth/login', {
        username: USER.email,
        password: USER.password,
      });
      expect(again.status).toBe('status' in change ? 400 : 200);
    });
  });
});
