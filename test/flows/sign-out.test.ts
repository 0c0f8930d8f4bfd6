import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { Browser } from '../support/browser.ts';
import type { TestGatehouse } from '../support/gatehouse.ts';
import { type GatehouseSetup, startOnTestDatabase } from '../support/gatehouse-setup.ts';

const PASSWORD = 'correct horse battery';

/** Every way a session ends announces `UserLogoutSuccess` once per ended session, with why. */
describe('one sign-out path', () => {
  let setup: GatehouseSetup;
  let gh: TestGatehouse;

  beforeAll(async () => {
    setup = await startOnTestDatabase();
    gh = setup.gh;
  });
  afterAll(() => setup?.close());

  async function signedIn(email: string): Promise<ApiClient> {
    const api = new ApiClient(new Browser(), gh.issuer);
    expect((await api.post('/api/auth/login', { username: email, password: PASSWORD })).status).toBe(200);
    return api;
  }

  const logouts = async (userId: string) =>
    (await gh.gatehouse.audit.list({ affectedUserId: userId, type: 'UserLogoutSuccess' })).map(
      (e) => e.details.reason,
    );

  it('a password change announces the end of every other session', async () => {
    const user = await gh.gatehouse.userManager.createUser({ email: 'two@example.com', password: PASSWORD });
    const [here, elsewhere, third] = [
      await signedIn(user.email),
      await signedIn(user.email),
      await signedIn(user.email),
    ];
    const changed = await here.post('/api/auth/change-password', {
      currentPassword: PASSWORD,
      newPassword: 'an entirely new passphrase',
    });
    expect(changed.status).toBe(200);
    expect((await elsewhere.get('/api/auth/is-authenticated')).json).toEqual({ isAuthenticated: false });
    expect((await third.get('/api/auth/is-authenticated')).json).toEqual({ isAuthenticated: false });
    expect((await here.get('/api/auth/is-authenticated')).json).toEqual({ isAuthenticated: true });
    expect(await logouts(user.id)).toEqual(['credentials', 'credentials']);
  });

  it('an administrator ending the sessions announces each; /api/auth/logout announces its own', async () => {
    const user = await gh.gatehouse.userManager.createUser({ email: 'ends@example.com', password: PASSWORD });
    const [a, b] = [await signedIn(user.email), await signedIn(user.email)];
    expect(await gh.gatehouse.userManager.endSessions(user.id)).toBe(2);
    expect((await a.get('/api/auth/is-authenticated')).json).toEqual({ isAuthenticated: false });
    expect((await b.get('/api/auth/is-authenticated')).json).toEqual({ isAuthenticated: false });
    const c = await signedIn(user.email);
    expect((await c.post('/api/auth/logout')).status).toBe(200);
    expect(await logouts(user.id)).toEqual(['user', 'admin', 'admin']);
  });
});
