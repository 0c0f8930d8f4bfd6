import { parse } from 'node-html-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, type AdminCaller, sessionCaller } from '../fixtures/admin-http.ts';
import { type Browser, textOf } from '../support/browser.ts';
import { consoleSignIn } from '../support/console.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

/** Short, so that the test can outlive it; the default is fifteen minutes. */
const MAX_AGE_SECONDS = 5;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the console asks for a recent sign-in before a change, by PRIVILEGED_SESSION_MAX_AGE_SECONDS', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let browser: Browser;
  /** The admin API through a browser session signed in at the same time as the console. */
  let api: AdminCaller;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({
      databaseUrl: db.url,
      env: { PRIVILEGED_SESSION_MAX_AGE_SECONDS: String(MAX_AGE_SECONDS) },
    });
    await gh.gatehouse.userManager.createUser({ ...ADMIN, groups: ['admin'] });
    ({ browser } = await consoleSignIn(gh, ADMIN, '/admin/keys'));
    api = await sessionCaller(gh, ADMIN);
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  const rotateForm = 'form[action="/admin/keys/rotate"]';

  it('sends a stale session to sign in again (password asked, prompt=login) and back to the page, where the change then goes through', async () => {
    await sleep((MAX_AGE_SECONDS + 1) * 1000);
    const keys = await browser.visit(`${gh.issuer}/admin/keys`);
    expect(keys.status).toBe(200);
    const stale = await browser.submit(keys, rotateForm);
    expect(stale.status).toBe(303);
    expect(stale.location).toBe(`${gh.issuer}/console/sign-in?returnTo=%2Fadmin%2Fkeys&fresh=1`);
    const before = await gh.gatehouse.audit.list({ type: 'AdminAction' });
    expect(before.map((e) => e.details.action)).not.toContain('keys.rotate');

    const start = await browser.request(stale.location ?? '');
    expect(new URL(start.location ?? '').searchParams.get('prompt')).toBe('login');
    // Signed in, yet asked for the password again.
    const login = await browser.follow(start);
    expect(parse(login.body).querySelector('form[action$="/login"]')).not.toBeNull();
    const back = await browser.follow(await browser.submit(login, 'form[action$="/login"]', ADMIN));
    expect(back.url).toBe(`${gh.issuer}/admin/keys`);

    const done = await browser.follow(await browser.submit(back, rotateForm));
    expect(textOf(done)).toContain('New signing keys are in use');
  });

  it('lets a change through without asking while the sign-in is recent', async () => {
    const keys = await browser.visit(`${gh.issuer}/admin/keys`);
    const done = await browser.submit(keys, rotateForm);
    expect(done.location).toContain('/admin/keys?notice=rotated');
  });

  // Runs after the first test has waited the session out.
  it('answers a change through the admin API from a stale browser session with 403, and reads still work', async () => {
    const body = { email: 'late.change@example.com', name: 'Late', password: 'a long enough password' };
    const refused = await api.call('POST', '/users', body);
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ error: 'reauthentication_required' });
    expect(await gh.gatehouse.userManager.findByEmail('late.change@example.com')).toBeUndefined();
    expect((await api.call('GET', '/users')).status).toBe(200);

    const fresh = await sessionCaller(gh, ADMIN);
    const created = await fresh.call('POST', '/users', body);
    expect(created.status).toBe(201);
  });
});
