import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerCaller, clientCredentials, registerMachine } from '../fixtures/admin-http.ts';
import { ApiClient } from '../support/api-client.ts';
import { Browser } from '../support/browser.ts';
import type { TestGatehouse } from '../support/gatehouse.ts';
import { type GatehouseSetup, startOnTestDatabase } from '../support/gatehouse-setup.ts';

describe('an admin resets a user’s two-factor', () => {
  let setup: GatehouseSetup;
  let gh: TestGatehouse;

  beforeAll(async () => {
    setup = await startOnTestDatabase();
    gh = setup.gh;
  });
  afterAll(() => setup?.close());

  it('removes the second factors, audits it, and the user signs in with the password alone', async () => {
    const user = await gh.gatehouse.userManager.createUser({
      email: 'lostphone@example.com',
      password: 'correct horse battery',
    });
    const { secret } = await gh.gatehouse.twoFactor.beginTotp(user);
    await gh.gatehouse.twoFactor.confirmTotp(user, await generate({ secret }));
    const api = new ApiClient(new Browser(), gh.issuer);
    expect(
      (
        await api.post('/api/auth/login', {
          username: 'lostphone@example.com',
          password: 'correct horse battery',
        })
      ).status,
    ).toBe(402);

    const secretOfMachine = await registerMachine(gh, 'ops', ['gatehouse:admin']);
    const token = await clientCredentials(gh, 'ops', secretOfMachine, 'gatehouse:admin');
    const admin = bearerCaller(gh, String(token.access_token));
    const reset = await admin.call('DELETE', `/users/${user.id}/two-factor`);
    expect(reset.status).toBe(200);
    expect(reset.json).toMatchObject({ email: 'lostphone@example.com', twoFactorProviders: [] });
    expect(
      (await admin.call('DELETE', '/users/00000000-0000-4000-8000-000000000000/two-factor')).status,
    ).toBe(404);

    const events = await gh.gatehouse.audit.list({ affectedUserId: user.id, type: 'UserTwoFactorReset' });
    expect(events).toHaveLength(1);
    const again = new ApiClient(new Browser(), gh.issuer);
    expect(
      (
        await again.post('/api/auth/login', {
          username: 'lostphone@example.com',
          password: 'correct horse battery',
        })
      ).status,
    ).toBe(200);
  });
});
