import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, type AdminCaller, sessionCaller } from '../fixtures/admin-http.ts';
import { ApiClient } from '../support/api-client.ts';
import { Browser, textOf } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { registerTestApp, signInWithPassword, startAuthorization } from '../support/sign-in-flow.ts';

const STAFF = { email: 'sam@example.com', password: 'sam staff password', groups: ['staff'] };
const GUEST = { email: 'gil@example.com', password: 'gil guest password', groups: ['guests'] };

/**
 * Per-application access: an application limited to groups admits their members only — at sign-in
 * (a translated page, no code, an audit event), when a session made for another application is
 * reused for it, and at its token endpoint when the rule changes under a refresh token.
 */
describe('applications limited to groups', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let staffApp: oidc.Configuration;
  let openApp: oidc.Configuration;
  let admin: AdminCaller;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    for (const user of [STAFF, GUEST]) await gh.gatehouse.userManager.createUser(user);
    await gh.gatehouse.userManager.createUser({ ...ADMIN, groups: ['admin'] });
    admin = await sessionCaller(gh, ADMIN);
    staffApp = await registerTestApp(gh, {
      clientId: 'staff-app',
      grants: ['authorization_code', 'refresh_token'],
      allowedGroups: ['staff'],
    });
    openApp = await registerTestApp(gh, { clientId: 'open-app' });
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  const denials = async (userEmail: string) => {
    const user = await gh.gatehouse.userManager.findByEmail(userEmail);
    return gh.gatehouse.audit.list({ type: 'ApplicationAccessDenied', affectedUserId: user?.id });
  };
  const isAuthenticated = async (browser: Browser) =>
    (await new ApiClient(browser, gh.issuer).get('/api/auth/is-authenticated')).json.isAuthenticated;

  it('signs a member in', async () => {
    const { page, finish } = await signInWithPassword(new Browser(), staffApp, STAFF);
    expect((await finish(page)).claims()).toMatchObject({ email: STAFF.email });
  });

  it('shows anyone else a clear page after the sign-in, with no code, no session and an audit event', async () => {
    const browser = new Browser();
    const { page } = await signInWithPassword(browser, staffApp, GUEST);
    expect(page.status).toBe(403);
    expect(page.location).toBeUndefined();
    expect(textOf(page)).toContain('Your account is not allowed to use staff-app.');
    expect(await isAuthenticated(browser)).toBe(false);
    expect(await denials(GUEST.email)).toEqual([
      expect.objectContaining({
        details: expect.objectContaining({ clientId: 'staff-app', stage: 'sign-in' }),
      }),
    ]);
    // The way back tells the application access_denied.
    const back = await browser.submit(page, 'form[action$="/abort"]');
    const returned = await browser.follow(back, (url) => url.startsWith('http://127.0.0.1:9/'));
    expect(returned.location).toContain('error=access_denied');
  });

  it('says it in the language the application asks for', async () => {
    const { page } = await signInWithPassword(new Browser(), staffApp, GUEST, { ui_locales: 'de' });
    expect(page.status).toBe(403);
    expect(textOf(page)).toContain('Ihr Konto darf staff-app nicht verwenden.');
  });

  it('refuses a session made for another application, at /auth, and prompt=none gets access_denied', async () => {
    const browser = new Browser();
    const open = await signInWithPassword(browser, openApp, GUEST);
    await open.finish(open.page);
    const before = (await denials(GUEST.email)).length;

    const reused = await startAuthorization(browser, staffApp);
    expect(reused.page.status).toBe(403);
    expect(textOf(reused.page)).toContain('Your account is not allowed to use staff-app.');
    const after = await denials(GUEST.email);
    expect(after).toHaveLength(before + 1);
    expect(after[0]?.details).toMatchObject({ clientId: 'staff-app', stage: 'authorization' });

    const silent = await startAuthorization(browser, staffApp, { prompt: 'none' });
    expect(silent.page.location).toContain('error=access_denied');
    // The session itself is untouched: the open application still works.
    expect(await isAuthenticated(browser)).toBe(true);
  });

  it('refuses the refresh token once the application no longer admits the user', async () => {
    const { page, finish } = await signInWithPassword(new Browser(), staffApp, STAFF);
    const tokens = await finish(page);
    const refreshed = await oidc.refreshTokenGrant(staffApp, tokens.refresh_token ?? '');

    // Through the admin API, as an administrator would: the application is now for `ops` only.
    const changed = await admin.call('PATCH', '/clients/staff-app', { allowedGroups: ['ops'] });
    expect(changed.status).toBe(200);
    expect(changed.json.allowedGroups).toEqual(['ops']);
    await expect(oidc.refreshTokenGrant(staffApp, refreshed.refresh_token ?? '')).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    expect((await denials(STAFF.email))[0]?.details).toMatchObject({ clientId: 'staff-app', stage: 'token' });

    const reopened = await admin.call('PATCH', '/clients/staff-app', { allowedGroups: [] });
    expect(reopened.json.allowedGroups).toEqual([]);
  });

  it('refuses a group list that is not names', async () => {
    const bad = await admin.call('PATCH', '/clients/staff-app', { allowedGroups: 'staff' });
    expect(bad.status).toBe(400);
  });
});
