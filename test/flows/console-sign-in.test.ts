import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, textOf } from '../support/browser.ts';
import { consoleSignIn } from '../support/console.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

const ADMIN = { email: 'ada@example.com', password: 'correct horse battery', name: 'Ada Admin' };
const READER = { email: 'rex@example.com', password: 'staple window garden', name: 'Rex Reader' };

describe('Gatehouse signs its own people in through the built-in console client', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    await gh.gatehouse.userManager.createUser({ ...ADMIN, groups: ['admin'] });
    await gh.gatehouse.userManager.createUser({ ...READER, groups: ['readers'] });
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  it('sends a visitor of /admin through an OIDC sign-in with PKCE and back to the page asked for', async () => {
    const browser = new Browser();
    const start = await browser.request(`${gh.issuer}/admin/users?q=ada`);
    expect(start.location).toBe(
      `${gh.issuer}/console/sign-in?returnTo=${encodeURIComponent('/admin/users?q=ada')}`,
    );
    const authorize = await browser.request(start.location ?? '');
    const url = new URL(authorize.location ?? '');
    expect(url.pathname).toBe('/auth');
    expect(url.searchParams.get('client_id')).toBe('gatehouse-console');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('redirect_uri')).toBe(`${gh.issuer}/console/callback`);

    const { page } = await consoleSignIn(gh, ADMIN, '/admin/users?q=ada', browser);
    expect(page.url).toBe(`${gh.issuer}/admin/users?q=ada`);
    expect(page.status).toBe(200);
    expect(textOf(page)).toContain('ada@example.com');
    expect(textOf(page)).not.toContain('rex@example.com');
    expect((await browser.request(`${gh.issuer}/`)).location).toBe(`${gh.issuer}/admin`);
  });

  it('sends everyone else from / to sign in, and a signed-in non-admin to their account; /admin is 403 for them', async () => {
    expect((await new Browser().request(`${gh.issuer}/`)).location).toBe(
      `${gh.issuer}/console/sign-in?returnTo=%2F`,
    );
    const { browser, page } = await consoleSignIn(gh, READER, '/');
    expect(page.url).toBe(`${gh.issuer}/account`);
    expect(textOf(page)).toContain('Your account');
    const admin = await browser.request(`${gh.issuer}/admin/users`);
    expect(admin.status).toBe(403);
    expect(textOf(admin)).toContain('admin group');
  });

  it('refuses a callback it did not start, a replayed code and a foreign return address', async () => {
    const stranger = await new Browser().request(`${gh.issuer}/console/callback?code=x&state=y`);
    expect(stranger.status).toBe(400);

    const browser = new Browser();
    const start = await browser.request(`${gh.issuer}/console/sign-in?returnTo=//evil.example/x`);
    const login = await browser.visit(start.location ?? '');
    const callback = await browser.follow(await browser.submit(login, 'form[action$="/login"]', ADMIN), (u) =>
      u.includes('/console/callback'),
    );
    const back = await browser.request(callback.location ?? '');
    expect(back.location).toBe(`${gh.issuer}/`);
    const replay = await browser.request(callback.location ?? '');
    expect(replay.status).toBe(400);
  });

  it('keeps the console client as it is: it cannot be edited or deleted', async () => {
    await expect(
      gh.gatehouse.clients.update('gatehouse-console', { redirectUris: ['https://evil.example/cb'] }),
    ).rejects.toThrow('built-in');
    await expect(gh.gatehouse.clients.delete('gatehouse-console')).rejects.toThrow('built-in');
    const listed = (await gh.gatehouse.clients.list()).find((c) => c.clientId === 'gatehouse-console');
    expect(listed?.metadata.redirect_uris).toEqual([`${gh.issuer}/console/callback`]);
  });
});
