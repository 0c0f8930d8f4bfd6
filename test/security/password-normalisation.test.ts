import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { Browser } from '../support/browser.ts';
import type { TestGatehouse } from '../support/gatehouse.ts';
import { type GatehouseSetup, startOnTestDatabase } from '../support/gatehouse-setup.ts';

/** Issue 10: passwords were not NFC-normalised: "é" typed two ways were two different passwords. */
describe('passwords are compared in NFC', () => {
  let setup: GatehouseSetup;
  let gh: TestGatehouse;

  beforeAll(async () => {
    setup = await startOnTestDatabase();
    gh = setup.gh;
  });
  afterAll(() => setup?.close());

  it('signs in with the decomposed form of a password set in the composed form, and back', async () => {
    const composed = 'crème brûlée café'.normalize('NFC');
    const decomposed = composed.normalize('NFD');
    expect(decomposed).not.toBe(composed);
    await gh.gatehouse.userManager.createUser({ email: 'nfc@example.com', password: composed });
    await gh.gatehouse.userManager.createUser({ email: 'nfd@example.com', password: decomposed });
    for (const [email, typed] of [
      ['nfc@example.com', decomposed],
      ['nfd@example.com', composed],
    ] as const) {
      const api = new ApiClient(new Browser(), gh.issuer);
      expect((await api.post('/api/auth/login', { username: email, password: typed })).status, email).toBe(
        200,
      );
    }
    const wrong = new ApiClient(new Browser(), gh.issuer);
    const refused = await wrong.post('/api/auth/login', {
      username: 'nfc@example.com',
      password: 'creme brulee cafe',
    });
    expect(refused.status).toBe(400);
  });
});
