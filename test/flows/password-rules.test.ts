import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AdminCaller,
  bearerCaller,
  clientCredentials,
  registerMachine,
} from '../fixtures/admin-http.ts';
import { ApiClient } from '../support/api-client.ts';
import { Browser } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

/** Each refused password with the words its message must contain. */
type Refusal = [password: string, named: RegExp];

const DEFAULT_REFUSALS: Refusal[] = [
  ['nine char', /at least 10 characters/],
  ['x'.repeat(257), /at most 256 characters/],
  ['password1234', /too common/],
  ['QWERTYUIOP', /too common/],
];

/** With every optional rule on, each of these breaks exactly one. */
const CUSTOM_REFUSALS: Refusal[] = [
  ['Short1!x', /at least 12 characters/],
  ['No digits here!', /must contain a digit/],
  ['NO LOWER CASE 1!', /must contain a lowercase letter/],
  ['no upper case 1!', /must contain an uppercase letter/],
  ['NoSymbolsHere123', /neither a letter nor a digit/],
];

async function signedIn(gh: TestGatehouse, email: string, password: string): Promise<ApiClient> {
  const api = new ApiClient(new Browser(), gh.issuer);
  const login = await api.post('/api/auth/login', { username: email, password });
  if (login.status !== 200) throw new Error(`sign-in failed: ${JSON.stringify(login.json)}`);
  return api;
}

describe('password rules, over HTTP', () => {
  let db: TestDatabase;
  let plain: TestGatehouse;
  let strict: TestGatehouse;
  let machine: AdminCaller;

  beforeAll(async () => {
    db = await createTestDatabase();
    plain = await startGatehouse({ databaseUrl: db.url });
    strict = await startGatehouse({
      databaseUrl: db.url,
      env: {
        PASSWORD_REQUIRED_LENGTH: '12',
        PASSWORD_REQUIRE_DIGIT: 'true',
        PASSWORD_REQUIRE_LOWERCASE: 'true',
        PASSWORD_REQUIRE_UPPERCASE: 'true',
        PASSWORD_REQUIRE_NON_LETTER_OR_DIGIT: 'true',
      },
    });
    const secret = await registerMachine(plain, 'provisioner', ['gatehouse:admin']);
    const token = await clientCredentials(plain, 'provisioner', secret, 'gatehouse:admin');
    machine = bearerCaller(plain, String(token.access_token));
  });
  afterAll(async () => {
    await Promise.all([plain?.stop(), strict?.stop()]);
    await db?.drop();
  });

  it('change-password refuses a short, a too long and a common password, naming the rule', async () => {
    await plain.gatehouse.userManager.createUser({
      email: 'changer@example.com',
      password: 'kettle drum song',
    });
    const api = await signedIn(plain, 'changer@example.com', 'kettle drum song');
    for (const [password, named] of DEFAULT_REFUSALS) {
      const answer = await api.post('/api/auth/change-password', {
        currentPassword: 'kettle drum song',
        newPassword: password,
      });
      expect(answer.status, password).toBe(400);
      expect(answer.json).toMatchObject({ error: 'password_rejected' });
      expect(String(answer.json.message), password).toMatch(named);
    }
    // Nothing changed: the old password still signs in.
    await signedIn(plain, 'changer@example.com', 'kettle drum song');
  });

  it('the admin API refuses the same passwords when creating a user or setting a password', async () => {
    const created = await machine.call('POST', '/users', {
      email: 'set@example.com',
      password: 'kettle drum song',
    });
    for (const [password, named] of DEFAULT_REFUSALS) {
      const create = await machine.call('POST', '/users', { email: 'other@example.com', password });
      expect(create.status, password).toBe(400);
      expect(String(create.json.message)).toMatch(named);
      const set = await machine.call('POST', `/users/${String(created.json.id)}/password`, { password });
      expect(set.status, password).toBe(400);
      expect(String(set.json.message)).toMatch(named);
    }
    expect(await plain.gatehouse.userManager.findByEmail('other@example.com')).toBeUndefined();
  });

  it('with the optional rules on, password-config says so and each rule refuses by name', async () => {
    const config = await new ApiClient(new Browser(), strict.issuer).get('/api/auth/password-config');
    expect(config.json).toMatchObject({
      minPasswordLength: 12,
      minNonAlphaNumericChars: 1,
      requireDigit: true,
      requireLowercase: true,
      requireUppercase: true,
    });
    await strict.gatehouse.userManager.createUser({
      email: 'strict@example.com',
      password: 'Kettle drum 42!',
    });
    const api = await signedIn(strict, 'strict@example.com', 'Kettle drum 42!');
    for (const [password, named] of CUSTOM_REFUSALS) {
      const answer = await api.post('/api/auth/change-password', {
        currentPassword: 'Kettle drum 42!',
        newPassword: password,
      });
      expect(answer.status, password).toBe(400);
      expect(String(answer.json.message), password).toMatch(named);
      expect(answer.json.message, password).not.toMatch(/;|\. The/);
    }
    // The same passwords pass where the rules are off (the admin API of the other node).
    for (const [index, [password]] of CUSTOM_REFUSALS.slice(1).entries()) {
      const set = await machine.call('POST', '/users', { email: `ok${index}@example.com`, password });
      expect(set.status, password).toBe(201);
    }
    const accepted = await api.post('/api/auth/change-password', {
      currentPassword: 'Kettle drum 42!',
      newPassword: 'Another drum 43?',
    });
    expect(accepted.status).toBe(200);
  });
});
