import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { Browser, textOf } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { registerTestApp, registerTestClient, startAuthorization } from '../support/sign-in-flow.ts';

/**
 * Issue 10: an attack run found no rate limit anywhere. These run against the production defaults
 * (src/rate-limits/policies.ts), over HTTP, on two nodes sharing one database.
 */
describe('rate limits shared by every node', () => {
  let db: TestDatabase;
  let a: TestGatehouse;
  let b: TestGatehouse;

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = { RATE_LIMIT_TOKEN_ENDPOINT_PER_CLIENT: '5/60' };
    a = await startGatehouse({ databaseUrl: db.url, productionRateLimits: true, env });
    b = await startGatehouse({ databaseUrl: db.url, productionRateLimits: true, env });
    for (let i = 0; i < 5; i++) {
      await a.gatehouse.userManager.createUser({
        email: `staff${i}@example.com`,
        password: `password of staff ${i}`,
      });
    }
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await db?.drop();
  });

  it('answers a password spray of 30 accounts from one address with 429s, on every node', async () => {
    const api = new ApiClient(new Browser(), a.issuer);
    const statuses: number[] = [];
    let refusal: Awaited<ReturnType<ApiClient['post']>> | undefined;
    for (let i = 0; i < 30; i++) {
      const answer = await api.post('/api/auth/login', {
        username: `staff${i}@example.com`,
        password: 'Summer2026!',
      });
      statuses.push(answer.status);
      if (answer.status === 429) refusal ??= answer;
    }
    // The first 20 failures are answered as failures; after that the address is refused.
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(400));
    expect(statuses.slice(20)).toEqual(Array(10).fill(429));
    expect(refusal?.json).toMatchObject({ error: 'rate_limited' });
    expect(Number(refusal?.page.headers.get('retry-after'))).toBeGreaterThan(0);

    // Node B shares the count: its sign-in page refuses the same address with a page for people.
    const browser = new Browser();
    const config = await registerTestApp(b, {
      clientId: 'spray-app',
      public: true,
      grants: ['authorization_code'],
    });
    const started = await startAuthorization(browser, config);
    const page = await browser.submit(started.page, 'form[action$="/login"]', {
      email: 'staff1@example.com',
      password: 'Winter2026!',
    });
    expect(page.status).toBe(429);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(Number(page.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(textOf(page)).toMatch(/Too many requests/);

    // Audited once, when the limit started refusing, with the caller's address.
    const audited = await a.gatehouse.db('audit_events').where({ type: 'RateLimited' });
    expect(audited.filter((e) => e.details.limit === 'SIGN_IN_FAILURES_PER_IP')).toHaveLength(1);
    expect(audited[0]?.ip).toBe('127.0.0.1');
    // Thirty sequential sign-ins, each an argon2 verification and a failure delay.
  }, 120_000);

  it('answers guessing of invitation and reset link tokens with 429s', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const path = i % 2 ? `/invite?token=guess${i}` : `/reset-password?token=guess${i}`;
      statuses.push((await fetch(`${(i % 3 ? a : b).issuer}${path}`, { redirect: 'manual' })).status);
    }
    expect(statuses.slice(0, 30).every((s) => s !== 429)).toBe(true);
    expect(statuses.slice(30)).toEqual(Array(10).fill(429));
    const api = await fetch(`${a.issuer}/api/auth/verify-invite`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ token: 'guess' }),
    });
    expect(api.status).toBe(429);
    expect(await api.json()).toMatchObject({ error: 'rate_limited' });
  });

  it('sends at most 3 reset emails to one address an hour', async () => {
    const api = new ApiClient(new Browser(), b.issuer);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push(
        (await api.post('/api/auth/request-password-reset', { email: 'Staff2@example.com' })).status,
      );
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const sent = await b.gatehouse.db('outbox').where({ to: 'staff2@example.com' });
    expect(sent.length).toBeLessThanOrEqual(3);
  });

  it('limits the token endpoint per client (RATE_LIMIT_TOKEN_ENDPOINT_PER_CLIENT)', async () => {
    const basic = `Basic ${Buffer.from('some-client:wrong-secret').toString('base64')}`;
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 7; i++) {
      last = await fetch(`${a.issuer}/token`, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await last?.json()).toMatchObject({ error: 'rate_limited' });
  });

  // The per-client count rides in the token's own write statement (one round trip per token); a
  // refused request must then have written nothing, and the count is still shared by every node.
  it('refuses a right secret over the limit without issuing a token, on every node', async () => {
    const client = await registerTestClient(a, {
      clientId: 'limited-machine',
      public: false,
      redirectUris: [],
      grants: ['client_credentials'],
    });
    const basic = `Basic ${Buffer.from(`limited-machine:${client.secret}`).toString('base64')}`;
    const ask = (node: TestGatehouse) =>
      fetch(`${node.issuer}/token`, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await ask(i % 2 ? b : a)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const issued = await a.gatehouse.db('oidc_payloads').where({ model: 'ClientCredentials' });
    expect(issued.filter((r) => r.payload.clientId === 'limited-machine')).toHaveLength(5);
    // Node A has refused this client itself: it refuses at once, and still counts the attempt.
    const again = await ask(a);
    expect(again.status).toBe(429);
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await ask(b)).status).toBe(429);
  });
});
