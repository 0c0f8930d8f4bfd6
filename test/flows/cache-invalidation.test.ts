import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientInput } from '../../src/oidc/client-service.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase, withAdmin } from '../support/postgres.ts';

const MACHINE: ClientInput = {
  clientId: 'machine',
  secret: 'first-secret-0123456789abcdefghijklmnop',
  public: false,
  redirectUris: [],
  postLogoutRedirectUris: [],
  grants: ['client_credentials'],
  scopes: [],
  skipConsent: false,
};

/**
 * Clients are cached on every node; a change on one node reaches the others through PostgreSQL
 * LISTEN/NOTIFY within a second, long before the safety-net TTL (an hour here, so only a
 * notification can explain the result).
 */
describe('client cache across two nodes', () => {
  let db: TestDatabase;
  let a: TestGatehouse;
  let b: TestGatehouse;
  const env = { CACHE_TTL_SECONDS: '3600' };

  beforeAll(async () => {
    db = await createTestDatabase();
    a = await startGatehouse({ databaseUrl: db.url, env });
    b = await startGatehouse({ databaseUrl: db.url, env });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await db?.drop();
  });

  const grant = async (node: TestGatehouse, clientId: string, secret: string) => {
    const response = await fetch(`${node.issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    return response.status;
  };
  /** Polls node B for up to one second until it answers `status`; returns how long it took. */
  const within = async (second: () => Promise<number>, status: number) => {
    const started = Date.now();
    while ((await second()) !== status) {
      if (Date.now() - started > 1000) throw new Error(`node B did not answer ${status} within a second`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return Date.now() - started;
  };

  it('refuses the old secret on node B once node A rotated it', async () => {
    await a.gatehouse.clients.create({ ...MACHINE });
    expect(await grant(b, 'machine', MACHINE.secret ?? '')).toBe(200); // now cached on B

    const { secret } = await a.gatehouse.clients.update('machine', { rotateSecret: true });

    await within(() => grant(b, 'machine', MACHINE.secret ?? ''), 401);
    expect(await grant(b, 'machine', secret ?? '')).toBe(200);
  });

  it('refuses a client on node B once node A deleted it', async () => {
    await a.gatehouse.clients.create({ ...MACHINE, clientId: 'doomed' });
    expect(await grant(b, 'doomed', MACHINE.secret ?? '')).toBe(200);

    await a.gatehouse.clients.delete('doomed');

    await within(() => grant(b, 'doomed', MACHINE.secret ?? ''), 401);
  });

  it('listens again after its connection is cut (as by a database restart)', async () => {
    await a.gatehouse.clients.create({ ...MACHINE, clientId: 'survivor' });
    expect(await grant(b, 'survivor', MACHINE.secret ?? '')).toBe(200);
    await withAdmin((admin) =>
      admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = $1 AND query LIKE 'LISTEN%'`,
        [db.name],
      ),
    );
    // Both nodes reconnect on their own; a change made afterwards reaches B as before.
    await new Promise((r) => setTimeout(r, 1500));
    // Reconnecting empties the caches (changes may have been missed); cache the client on B again.
    expect(await grant(b, 'survivor', MACHINE.secret ?? '')).toBe(200);
    const { secret } = await a.gatehouse.clients.update('survivor', { rotateSecret: true });

    await within(() => grant(b, 'survivor', MACHINE.secret ?? ''), 401);
    expect(await grant(b, 'survivor', secret ?? '')).toBe(200);
  });
});
