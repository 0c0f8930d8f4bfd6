import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { Browser, textOf } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

const USER = { email: 'ada@example.com', name: 'Ada Account', password: 'first of many passwords' };
const NEW_PASSWORD = 'second, and better, password';

describe('account pages, over HTTP', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    await gh.gatehouse.userManager.createUser({ ...USER, groups: ['readers', 'editors'] });
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  /** A browser signed in as the user through the JSON API, on the session the pages share. */
  async function signedIn(password = USER.password): Promise<{ browser: Browser; api: ApiClient }> {
    const browser = new Browser();
    const api = new ApiClient(browser, gh.issuer);
    const login = await api.post('/api/auth/login', { username: USER.email, password });
    expect(login.status, JSON.stringify(login.json)).toBe(200);
    return { browser, api };
  }

  it('sends a visitor who is not signed in to sign in, coming back to the page', async () => {
    for (const path of ['/account', '/account/password']) {
      const page = await new Browser().request(`${gh.issuer}${path}`);
      expect(page.status, path).toBe(302);
      expect(page.location).toBe(`${gh.issuer}/console/sign-in?returnTo=${encodeURIComponent(path)}`);
    }
  });

  it('shows the signed-in user their name, email, groups and last sign-in', async () => {
    const { browser } = await signedIn();
    const page = await browser.visit(`${gh.issuer}/account`);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const text = textOf(page);
    expect(text).toContain('Ada Account');
    expect(text).toContain(USER.email);
    expect(text).toContain('editors, readers');
    expect(text).toMatch(/Last sign-in \d{1,2} \w+ \d{4} at \d{2}:\d{2} UTC/);
    expect(page.body).toContain('href="/account/password"');
    // Its "Sign out" link leads to the sign-out confirmation.
    const signOut = await browser.visit(`${gh.issuer}/session/end`);
    expect(signOut.status).toBe(200);
    expect(textOf(signOut)).toContain('Sign out?');
  });

  it('changes the password: the current one is checked, other sessions end, this one stays', async () => {
    const other = await signedIn();
    const { browser, api } = await signedIn();
    const form = await browser.visit(`${gh.issuer}/account/password`);
    expect(form.status).toBe(200);

    const wrong = await browser.submit(form, 'form[action="/account/password"]', {
      currentPassword: 'not my password',
      password: NEW_PASSWORD,
      confirmPassword: NEW_PASSWORD,
    });
    expect(wrong.status).toBe(400);
    expect(textOf(wrong)).toContain('The current password is incorrect.');
    expect((await other.api.get('/api/auth/is-authenticated')).json).toEqual({ isAuthenticated: true });

    const done = await browser.submit(wrong, 'form[action="/account/password"]', {
      currentPassword: USER.password,
      password: NEW_PASSWORD,
      confirmPassword: NEW_PASSWORD,
    });
    expect(done.status, textOf(done)).toBe(200);
    expect(textOf(done)).toContain('Your password has been changed.');

    expect((await api.get('/api/auth/is-authenticated')).json).toEqual({ isAuthenticated: true });
    expect((await browser.visit(`${gh.issuer}/account`)).status).toBe(200);
    expect((await other.api.get('/api/auth/is-authenticated')).json).toEqual({ isAuthenticated: false });
    expect((await other.browser.request(`${gh.issuer}/account`)).status).toBe(302);

    const anonymous = new ApiClient(new Browser(), gh.issuer);
    const old = await anonymous.post('/api/auth/login', { username: USER.email, password: USER.password });
    expect(old.status).toBe(400);
    await signedIn(NEW_PASSWORD);
  });

  it('refuses a form without its CSRF token, and a body that is not a form', async () => {
    const { browser } = await signedIn(NEW_PASSWORD);
    const posted = await browser.request(`${gh.issuer}/account/password`, {
      form: { currentPassword: NEW_PASSWORD, password: USER.password, confirmPassword: USER.password },
    });
    expect(posted.status).toBe(403);
    expect(textOf(posted)).toContain('The form has expired');
    const multipart = await browser.request(`${gh.issuer}/account/password`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      body: '--x--\r\n',
    });
    expect(multipart.status).toBe(415);
  });
});
