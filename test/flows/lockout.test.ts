import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Configure } from '../../src/extensions.ts';
import type { NotificationType } from '../../src/notifications/notification-types.ts';
import { ApiClient } from '../support/api-client.ts';
import { Browser } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

const PASSWORD = 'the right passphrase';
const WRONG = 'a wrong passphrase';
const OBSERVED: NotificationType[] = ['UserLocked', 'UserUnlocked', 'UserResetAccessFailedCount'];

interface Seen {
  type: NotificationType;
  userId: string | undefined;
  node: string;
}

function observe(seen: Seen[], node: string): Configure {
  return (builder) => {
    for (const type of OBSERVED) {
      builder.notifications.on(type, (n) => {
        seen.push({ type, userId: n.affectedUserId, node });
      });
    }
  };
}

/** One browser per node for the failures: its XSRF token is fetched once, not at every attempt. */
const clients = new Map<TestGatehouse, ApiClient>();

async function login(gh: TestGatehouse, email: string, password: string) {
  let api = clients.get(gh);
  if (!api) {
    api = new ApiClient(new Browser(), gh.issuer);
    await api.xsrfToken();
    clients.set(gh, api);
  }
  // A successful sign-in gets a browser of its own, so the shared one never holds a session.
  if (password === PASSWORD) api = new ApiClient(new Browser(), gh.issuer);
  const token = await api.xsrfToken();
  const started = performance.now();
  const page = await api.browser.request(`${gh.issuer}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-xsrf-token': token },
    body: JSON.stringify({ username: email, password }),
  });
  const ms = performance.now() - started;
  return { status: page.status, json: JSON.parse(page.body) as unknown, ms };
}

describe('lockout, shared by two Gatehouse nodes on one database', () => {
  let db: TestDatabase;
  let a: TestGatehouse;
  let b: TestGatehouse;
  const seen: Seen[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = { LOCKOUT_DURATION_SECONDS: '2' };
    a = await startGatehouse({ databaseUrl: db.url, env, configure: observe(seen, 'a') });
    b = await startGatehouse({ databaseUrl: db.url, env, configure: observe(seen, 'b') });
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
  });

  const createUser = (email: string) => a.gatehouse.userManager.createUser({ email, password: PASSWORD });
  const audited = async (userId: string, type: NotificationType) =>
    (await a.gatehouse.audit.list({ affectedUserId: userId, type })).length;

  it('locks after five wrong passwords; the right one is then refused with the same answer', async () => {
    const user = await createUser('five@example.com');
    const wrong = [];
    for (let i = 0; i < 5; i++) wrong.push(await login(a, user.email, WRONG));
    const right = await login(a, user.email, PASSWORD);
    for (const answer of [...wrong, right]) {
      expect(answer.status).toBe(400);
      expect(answer.json).toEqual(wrong[0]?.json);
    }
    expect(seen.filter((s) => s.userId === user.id)).toEqual([
      { type: 'UserLocked', userId: user.id, node: 'a' },
    ]);
    expect(await audited(user.id, 'UserLocked')).toBe(1);
    const failures = await a.gatehouse.audit.list({ affectedUserId: user.id, type: 'UserLoginFailed' });
    expect(failures.map((f) => f.details.reason)).toEqual(['locked', ...Array(5).fill('wrong_password')]);
  });

  it('counts failures on both nodes together', async () => {
    const user = await createUser('shared@example.com');
    for (const node of [a, b, a, b]) expect((await login(node, user.email, WRONG)).status).toBe(400);
    expect(await b.gatehouse.userManager.findById(user.id)).toMatchObject({
      failedCount: 4,
      lockoutEnd: null,
    });
    await login(b, user.email, WRONG);
    expect((await login(a, user.email, PASSWORD)).status).toBe(400);
    expect((await login(b, user.email, PASSWORD)).status).toBe(400);
    expect(seen.filter((s) => s.userId === user.id)).toEqual([
      { type: 'UserLocked', userId: user.id, node: 'b' },
    ]);
  });

  it('unlocks once the lockout duration has passed', async () => {
    const user = await createUser('later@example.com');
    for (let i = 0; i < 5; i++) await login(b, user.email, WRONG);
    const locked = await a.gatehouse.userManager.findById(user.id);
    const end = locked?.lockoutEnd?.getTime() ?? 0;
    expect(end - Date.now()).toBeGreaterThan(1000);
    expect((await login(a, user.email, PASSWORD)).status).toBe(400);

    await new Promise((r) => setTimeout(r, end - Date.now() + 150));
    expect((await login(a, user.email, PASSWORD)).status).toBe(200);
    expect(seen.filter((s) => s.userId === user.id).map((s) => s.type)).toEqual([
      'UserLocked',
      'UserUnlocked',
    ]);
    expect(await audited(user.id, 'UserUnlocked')).toBe(1);
    expect(await a.gatehouse.userManager.findById(user.id)).toMatchObject({
      failedCount: 0,
      lockoutEnd: null,
    });
  });

  it('resets the failure count at a good sign-in, and says so', async () => {
    const user = await createUser('reset@example.com');
    await login(a, user.email, WRONG);
    await login(b, user.email, WRONG);
    expect((await login(a, user.email, PASSWORD)).status).toBe(200);
    expect(seen.filter((s) => s.userId === user.id)).toEqual([
      { type: 'UserResetAccessFailedCount', userId: user.id, node: 'a' },
    ]);
    expect(await audited(user.id, 'UserResetAccessFailedCount')).toBe(1);
    // Counting starts again from zero: four more failures do not lock.
    for (let i = 0; i < 4; i++) await login(b, user.email, WRONG);
    expect((await login(a, user.email, PASSWORD)).status).toBe(200);
  });

  it('answers unknown, wrong-password, locked and disabled sign-ins alike, in the same time', async () => {
    const slow = await startGatehouse({
      databaseUrl: db.url,
      env: { USER_MINIMUM_FAILED_LOGIN_DURATION_MS: '400', LOCKOUT_DURATION_SECONDS: '600' },
    });
    try {
      const manager = slow.gatehouse.userManager;
      const wrongUsers = [await createUser('timing1@example.com'), await createUser('timing2@example.com')];
      const locked = await createUser('timing-locked@example.com');
      for (let i = 0; i < 5; i++) await manager.accessFailed(locked);
      const disabled = await createUser('timing-disabled@example.com');
      await manager.updateUser(disabled.id, { status: 'disabled' });

      const samples: Record<string, Array<{ ms: number; status: number; json: unknown }>> = {
        unknown: [],
        wrong: [],
        locked: [],
        disabled: [],
      };
      // Interleaved, one request at a time, in a shuffled order each round: every kind meets the
      // same machine load, and the requests do not compete with each other.
      const kinds: Array<[string, () => Promise<{ ms: number; status: number; json: unknown }>]> = [
        ['unknown', () => login(slow, `nobody${Math.random()}@example.com`, PASSWORD)],
        ['wrong', () => login(slow, wrongUsers[(samples.wrong?.length ?? 0) % 2]?.email ?? '', WRONG)],
        ['locked', () => login(slow, locked.email, PASSWORD)],
        ['disabled', () => login(slow, disabled.email, PASSWORD)],
      ];
      for (let round = 0; round < 3; round++) {
        for (const [kind, attempt] of kinds.sort(() => Math.random() - 0.5)) {
          samples[kind]?.push(await attempt());
        }
      }

      const all = Object.values(samples).flat();
      for (const answer of all) {
        expect(answer.status).toBe(400);
        expect(answer.json).toEqual(all[0]?.json);
        expect(answer.ms).toBeGreaterThanOrEqual(400);
      }
      const medians = Object.fromEntries(
        Object.entries(samples).map(([kind, s]) => [kind, median(s.map((x) => x.ms))]),
      );
      const spread = Math.max(...Object.values(medians)) - Math.min(...Object.values(medians));
      expect(spread, JSON.stringify(medians)).toBeLessThan(100);
    } finally {
      await slow.stop();
    }
  });
});

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
