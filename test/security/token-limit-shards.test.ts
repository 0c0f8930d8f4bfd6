import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { registerTestClient } from '../support/sign-in-flow.ts';

const LIMIT = 24;

/**
 * The token endpoint's per-client count is spread over several rows (RATE_LIMIT_SHARDS in
 * src/rate-limits/policies.ts), so that one client's parallel requests do not queue on one row
 * lock. A client must still be held to its limit, seen from its side: over HTTP, on two nodes.
 */
describe('the per-client token limit, counted over shards', () => {
  let db: TestDatabase;
  let a: TestGatehouse;
  let b: TestGatehouse;

  beforeAll(async () => {
    db = await createTestDatabase();
    // An hour's window: a test never sees the window roll over and forgive a fraction of a count.
    const env = { RATE_LIMIT_TOKEN_ENDPOINT_PER_CLIENT: `${LIMIT}/3600` };
    a = await startGatehouse({ databaseUrl: db.url, productionRateLimits: true, env });
    b = await startGatehouse({ databaseUrl: db.url, productionRateLimits: true, env });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await db?.drop();
  });

  async function machine(clientId: string): Promise<(node: TestGatehouse) => Promise<Response>> {
    const client = await registerTestClient(a, {
      clientId,
      public: false,
      redirectUris: [],
      grants: ['client_credentials'],
    });
    const basic = `Basic ${Buffer.from(`${clientId}:${client.secret}`).toString('base64')}`;
    return (node) =>
      fetch(`${node.issuer}/token`, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
  }

  const shardRows = async () =>
    (await a.gatehouse.db('rate_limit_hits').where('key', 'like', 'TOKEN_ENDPOINT_PER_CLIENT:%')).length;

  it('refuses a client over its limit one request at a time, exactly, though its hits are spread over shards', async () => {
    const ask = await machine('sharded-machine');
    const answers: Response[] = [];
    for (let i = 0; i < LIMIT + 16; i++) answers.push(await ask(i % 2 ? b : a));
    const statuses = answers.map((r) => r.status);
    expect(statuses).toEqual([...Array(LIMIT).fill(200), ...Array(16).fill(429)]);
    const last = answers.at(-1);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await last?.json()).toMatchObject({ error: 'rate_limited' });
    // Forty hits at random over the shards: no single row held the count that refused them.
    expect(await shardRows()).toBeGreaterThan(1);
    const issued = await a.gatehouse.db('oidc_payloads').where({ model: 'ClientCredentials' });
    expect(issued.filter((r) => r.payload.clientId === 'sharded-machine')).toHaveLength(LIMIT);
  });

  it('overshoots under parallel requests by less than the number in flight', async () => {
    const ask = await machine('parallel-machine');
    const inFlight = 6;
    const statuses: number[] = [];
    for (let round = 0; round < 10; round++) {
      const batch = await Promise.all(
        Array.from({ length: inFlight }, (_, i) => ask(i % 2 ? b : a).then((r) => r.status)),
      );
      statuses.push(...batch);
    }
    const granted = statuses.filter((s) => s === 200).length;
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    expect(granted).toBeGreaterThanOrEqual(LIMIT);
    expect(granted).toBeLessThan(LIMIT + inFlight);
    expect(statuses.slice(-inFlight)).toEqual(Array(inFlight).fill(429));
  });

  it('forgets the counts of every shard when the maintenance loop purges old windows', async () => {
    const ask = await machine('purged-machine');
    for (let i = 0; i < LIMIT; i++) expect((await ask(a)).status).toBe(200);
    expect((await ask(b)).status).toBe(429);
    // Two days later, as far as the rows can tell.
    await a.gatehouse.db.raw(
      `UPDATE rate_limit_hits SET window_start = window_start - interval '3 days'
        WHERE key LIKE 'TOKEN_ENDPOINT_PER_CLIENT:%'`,
    );
    const purge = a.gatehouse.expiring.find((t) => t.name === 'rate_limit_hits');
    expect(await purge?.purgeExpired()).toBeGreaterThan(1);
    expect(await shardRows()).toBe(0);
    // Node A never refused this client itself, so it asks the database, which has forgotten.
    expect((await ask(a)).status).toBe(200);
  });
});
