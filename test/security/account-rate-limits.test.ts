import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { Browser } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

const PASSWORD = 'correct horse battery';

/**
 * Issue 10: limits per account and per client, not only per address. The attacker here rotates
 * addresses (a botnet, or one host behind a trusted proxy that passes X-Forwarded-For on): every
 * request comes from another address, so only a limit keyed by the account or client holds.
 * Lockout is raised out of the way so the rate limit alone is what refuses.
 */
describe('rate limits per account and per client, whatever the address', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let nextAddress = 1;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({
      databaseUrl: db.url,
      productionRateLimits: true,
      env: {
        TRUSTED_PROXIES: '127.0.0.1',
        MAX_FAILED_ACCESS_ATTEMPTS_BEFORE_LOCKOUT: '100',
        EMAIL_DELIVERY: 'outbox',
        RATE_LIMIT_TOKEN_ENDPOINT_PER_CLIENT: '5/60',
      },
    });
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  /** The same browser session, each request from a new address. */
  async function postFromNewAddress(api: ApiClient, path: string, body: unknown) {
    const address = `203.0.113.${nextAddress++}`;
    const page = await api.browser.request(`${gh.issuer}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'x-xsrf-token': await api.xsrfToken(),
        'x-forwarded-for': address,
      },
      body: JSON.stringify(body),
    });
    return { status: page.status, retryAfter: page.headers.get('retry-after'), body: page.body };
  }

  async function signedInWithPassword(email: string): Promise<ApiClient> {
    const api = new ApiClient(new Browser(), gh.issuer);
    const login = await postFromNewAddress(api, '/api/auth/login', { username: email, password: PASSWORD });
    expect(login.status).toBe(402);
    return api;
  }

  it('limits password sign-ins to one account (SIGN_IN_PER_ACCOUNT, 10 per 5 minutes)', async () => {
    await gh.gatehouse.userManager.createUser({ email: 'target@example.com', password: PASSWORD });
    const api = new ApiClient(new Browser(), gh.issuer);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      // However the address is written, it is one account.
      const username = i % 2 ? 'Target@Example.com' : 'target@example.com';
      statuses.push(
        (await postFromNewAddress(api, '/api/auth/login', { username, password: `guess number ${i}` }))
          .status,
      );
    }
    expect(statuses).toEqual([...Array(10).fill(400), 429, 429]);
  });

  it('limits second-factor codes for one account (TWO_FACTOR_PER_ACCOUNT, 10 per 5 minutes)', async () => {
    const user = await gh.gatehouse.userManager.createUser({ email: 'otp@example.com', password: PASSWORD });
    const { secret } = await gh.gatehouse.twoFactor.beginTotp(user);
    // Enrolment's check is a code checked for the account too: one of the ten.
    await gh.gatehouse.twoFactor.confirmTotp(user, await generate({ secret }));
    const api = await signedInWithPassword('otp@example.com');
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof postFromNewAddress>> | undefined;
    for (let i = 0; i < 11; i++) {
      const answer = await postFromNewAddress(api, '/api/auth/two-factor/verify', {
        provider: 'totp',
        code: String(100000 + i),
      });
      statuses.push(answer.status);
      if (answer.status === 429) refused ??= answer;
    }
    expect(statuses).toEqual([...Array(9).fill(400), 429, 429]);
    expect(Number(refused?.retryAfter)).toBeGreaterThan(0);
    expect(JSON.parse(refused?.body ?? '{}')).toMatchObject({ error: 'rate_limited' });
    // Even the right code waits now: the guesser cannot tell a right guess from a refused one.
    const right = await postFromNewAddress(api, '/api/auth/two-factor/verify', {
      provider: 'totp',
      code: await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 }),
    });
    expect(right.status).toBe(429);
    const audited = await gh.gatehouse.db('audit_events').where({ type: 'RateLimited' });
    expect(audited.filter((e) => e.details.limit === 'TWO_FACTOR_PER_ACCOUNT')).toHaveLength(1);
  });

  it('limits the codes an account page checks too, with the 429 page and Retry-After', async () => {
    await gh.gatehouse.userManager.createUser({ email: 'page@example.com', password: PASSWORD });
    const browser = new Browser();
    const login = await new ApiClient(browser, gh.issuer).post('/api/auth/login', {
      username: 'page@example.com',
      password: PASSWORD,
    });
    expect(login.status).toBe(200);
    let page = await browser.visit(`${gh.issuer}/account/two-factor/authenticator`);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      page = await browser.submit(page, 'form', { code: String(200000 + i) });
      statuses.push(page.status);
      if (page.status === 429) break;
    }
    expect(statuses).toEqual([...Array(10).fill(400), 429]);
    expect(Number(page.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('sends at most 5 email codes to one account in 10 minutes (EMAIL_CODE_PER_ACCOUNT)', async () => {
    const user = await gh.gatehouse.userManager.createUser({ email: 'mail@example.com', password: PASSWORD });
    // Turning email codes on sends the first code: one of the five.
    await gh.gatehouse.twoFactor.beginEmail(user);
    const mail = await gh.gatehouse.db('outbox').where({ to: 'mail@example.com' }).first();
    await gh.gatehouse.twoFactor.confirmEmail(user, /\b(\d{6})\b/.exec(String(mail?.text))?.[1] ?? '');
    const api = await signedInWithPassword('mail@example.com');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push(
        (await postFromNewAddress(api, '/api/auth/two-factor/send', { provider: 'email' })).status,
      );
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    expect(await gh.gatehouse.db('outbox').where({ to: 'mail@example.com' })).toHaveLength(5);
  });

  it('limits the token endpoint for a client that names itself in the form (client_secret_post)', async () => {
    const created = await gh.gatehouse.clients.create({
      clientId: 'post-machine',
      public: false,
      authMethod: 'client_secret_post',
      redirectUris: [],
      postLogoutRedirectUris: [],
      grants: ['client_credentials'],
      scopes: [],
      skipConsent: true,
    });
    const token = (path: string, secret: string, address: string) =>
      fetch(`${gh.issuer}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': address },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          token: 'x',
          client_id: 'post-machine',
          client_secret: secret,
        }).toString(),
      });
    // The body read ahead of oidc-provider still reaches it whole: the right secret gets a token.
    const first = await token('/token', String(created.secret), '198.51.100.1');
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ token_type: 'Bearer' });
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 6; i++) {
      last = await token('/token', `guess-${i}`, `198.51.100.${10 + i}`);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await last?.json()).toMatchObject({ error: 'rate_limited' });
  });
});
