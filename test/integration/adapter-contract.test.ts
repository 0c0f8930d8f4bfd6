import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Adapter, type AdapterPayload, errors } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/crypto/secret-box.ts';
import { createDatabase, type Database, openDatabase } from '../../src/db/database.ts';
import { migrateLatest } from '../../src/db/migrations.ts';
import { createClientStore } from '../../src/oidc/client-store.ts';
import { createAdapterFactory, purgeExpiredPayloads } from '../../src/oidc/knex-adapter.ts';
import { TEST_SECRET_KEY } from '../support/gatehouse.ts';
import { createTestDatabase, EXTERNAL_POSTGRES } from '../support/postgres.ts';

interface Backend {
  name: string;
  open(): Promise<{ db: Database; close(): Promise<void> }>;
}

/**
 * The embedded cluster exactly as `serve` runs it (its own DATA_DIR, initdb and all), and the
 * external server too when TEST_POSTGRES_URL names one.
 */
const backends: Backend[] = [
  {
    name: 'embedded PostgreSQL',
    async open() {
      const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-adapter-'));
      const { db, close } = await openDatabase({ databaseUrl: undefined, dataDir });
      return {
        db,
        async close() {
          await close();
          rmSync(dataDir, { recursive: true, force: true });
        },
      };
    },
  },
  ...(EXTERNAL_POSTGRES
    ? [
        {
          name: 'PostgreSQL at TEST_POSTGRES_URL',
          async open() {
            const database = await createTestDatabase();
            const db = createDatabase(database.url);
            return {
              db,
              async close() {
                await db.destroy();
                await database.drop();
              },
            };
          },
        },
      ]
    : []),
];

const LIVE = 3600;
/** Short enough to wait out once per backend, long enough to still be alive right after upsert. */
const SHORT = 1;
const STALE_REPLAYS = 25;

function token(grantId: string, extra: Partial<AdapterPayload> = {}): AdapterPayload {
  return { kind: 'AccessToken', grantId, clientId: 'app', accountId: 'user-1', scope: 'openid', ...extra };
}

describe.each(backends)('oidc-provider adapter on $name', (backend) => {
  let db: Database;
  let close: () => Promise<void>;
  let adapter: (model: string) => Adapter;
  let expiringSince: number;

  /** Rows given SHORT to live in beforeAll (the last one at expiringSince); tests that need them expired wait this out. */
  async function untilExpired(): Promise<void> {
    const left = expiringSince + SHORT * 1000 + 150 - Date.now();
    if (left > 0) await new Promise((r) => setTimeout(r, left));
  }

  beforeAll(async () => {
    ({ db, close } = await backend.open());
    await migrateLatest(db);
    adapter = createAdapterFactory(db, createClientStore(db, new SecretBox(TEST_SECRET_KEY)), {
      refreshTokenReuseSeconds: 0,
    });
    await adapter('AccessToken').upsert('expiring-at', token('g-exp'), SHORT);
    await adapter('Session').upsert('expiring-session', { kind: 'Session', uid: 'uid-exp' }, SHORT);
    await adapter('DeviceCode').upsert('expiring-dc', { kind: 'DeviceCode', userCode: 'EXP-CODE' }, SHORT);
    const replays = adapter('ReplayDetection');
    for (let i = 0; i < STALE_REPLAYS; i++) {
      await replays.upsert(`stale-${i}`, { kind: 'ReplayDetection', iss: 'x' }, SHORT);
    }
    // Taken after the last upsert: on a loaded machine the upserts alone can outlast the margin.
    expiringSince = Date.now();
  });

  afterAll(async () => {
    await close?.();
  });

  it('stores a payload with upsert and returns it unchanged from find', async () => {
    const payload = token('g-1', { jti: 'at-1', extra: { nested: [1, 'two', { three: true }] } });
    await adapter('AccessToken').upsert('at-1', payload, LIVE);
    expect(await adapter('AccessToken').find('at-1')).toEqual(payload);
    expect(await adapter('AccessToken').find('at-unknown')).toBeUndefined();
  });

  it('replaces the payload when the same id is upserted again', async () => {
    await adapter('Grant').upsert('grant-1', { kind: 'Grant', accountId: 'user-1', openid: {} }, LIVE);
    await adapter('Grant').upsert(
      'grant-1',
      { kind: 'Grant', accountId: 'user-1', openid: { scope: 'openid' } },
      LIVE,
    );
    expect(await adapter('Grant').find('grant-1')).toEqual({
      kind: 'Grant',
      accountId: 'user-1',
      openid: { scope: 'openid' },
    });
  });

  it('keeps models apart: the same id in two models is two artefacts', async () => {
    await adapter('AuthorizationCode').upsert('shared-id', { kind: 'AuthorizationCode', n: 1 }, LIVE);
    await adapter('RefreshToken').upsert('shared-id', { kind: 'RefreshToken', n: 2 }, LIVE);
    expect(await adapter('AuthorizationCode').find('shared-id')).toMatchObject({ n: 1 });
    expect(await adapter('RefreshToken').find('shared-id')).toMatchObject({ n: 2 });
    expect(await adapter('AccessToken').find('shared-id')).toBeUndefined();
  });

  it('finds a session by its uid and a device code by its user code', async () => {
    await adapter('Session').upsert(
      'session-1',
      { kind: 'Session', uid: 'uid-1', accountId: 'user-1' },
      LIVE,
    );
    await adapter('DeviceCode').upsert('dc-1', { kind: 'DeviceCode', userCode: 'ABCD-EFGH' }, LIVE);
    expect(await adapter('Session').findByUid('uid-1')).toMatchObject({ uid: 'uid-1', accountId: 'user-1' });
    expect(await adapter('Session').findByUid('uid-unknown')).toBeUndefined();
    expect(await adapter('DeviceCode').findByUserCode('ABCD-EFGH')).toMatchObject({ kind: 'DeviceCode' });
    expect(await adapter('DeviceCode').findByUserCode('ZZZZ-ZZZZ')).toBeUndefined();
  });

  it('does not find expired artefacts by id, uid or user code', async () => {
    await untilExpired();
    expect(await adapter('AccessToken').find('expiring-at')).toBeUndefined();
    expect(await adapter('Session').find('expiring-session')).toBeUndefined();
    expect(await adapter('Session').findByUid('uid-exp')).toBeUndefined();
    expect(await adapter('DeviceCode').findByUserCode('EXP-CODE')).toBeUndefined();
    // Rows stored for an hour at the same time are still there.
    expect(await adapter('Session').findByUid('uid-1')).toBeDefined();
  });

  it('marks a consumed artefact with the time of consumption', async () => {
    await adapter('AuthorizationCode').upsert('code-1', { kind: 'AuthorizationCode', grantId: 'g-c' }, LIVE);
    const before = Math.floor(Date.now() / 1000);
    await adapter('AuthorizationCode').consume('code-1');
    const found = await adapter('AuthorizationCode').find('code-1');
    expect(found).toMatchObject({ kind: 'AuthorizationCode', grantId: 'g-c' });
    expect(found?.consumed).toBeGreaterThanOrEqual(before - 1);
    expect(found?.consumed).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 1);
  });

  it('lets exactly one of 20 parallel consume calls on one code succeed', async () => {
    const codes = adapter('AuthorizationCode');
    await codes.upsert('race', { kind: 'AuthorizationCode', grantId: 'g-race' }, LIVE);
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => codes.consume('race')));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(failures).toHaveLength(19);
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(errors.InvalidGrant);
      expect(failure).toMatchObject({ error: 'invalid_grant' });
    }
  });

  it('refuses to consume an unknown artefact', async () => {
    await expect(adapter('RefreshToken').consume('never-stored')).rejects.toBeInstanceOf(errors.InvalidGrant);
  });

  it('keeps a consumed artefact consumed when it is upserted again', async () => {
    const tokens = adapter('RefreshToken');
    await tokens.upsert('rt-1', { kind: 'RefreshToken', grantId: 'g-rt', rotations: 0 }, LIVE);
    await tokens.consume('rt-1');
    await tokens.upsert('rt-1', { kind: 'RefreshToken', grantId: 'g-rt', rotations: 1 }, LIVE);
    const found = await tokens.find('rt-1');
    expect(found).toMatchObject({ rotations: 1 });
    expect(found?.consumed).toEqual(expect.any(Number));
    await expect(tokens.consume('rt-1')).rejects.toBeInstanceOf(errors.InvalidGrant);
  });

  it('destroys one artefact and leaves the others', async () => {
    const tokens = adapter('AccessToken');
    await tokens.upsert('doomed', token('g-d'), LIVE);
    await tokens.upsert('survivor', token('g-d'), LIVE);
    await tokens.destroy('doomed');
    await tokens.destroy('never-stored');
    expect(await tokens.find('doomed')).toBeUndefined();
    expect(await tokens.find('survivor')).toBeDefined();
  });

  it("revokes a grant's artefacts of its own model and nothing else", async () => {
    const accessTokens = adapter('AccessToken');
    await accessTokens.upsert('rev-at-1', token('g-rev'), LIVE);
    await accessTokens.upsert('rev-at-2', token('g-rev'), LIVE);
    await accessTokens.upsert('other-grant-at', token('g-other'), LIVE);
    await adapter('RefreshToken').upsert('rev-rt', { kind: 'RefreshToken', grantId: 'g-rev' }, LIVE);
    // A sign-in in progress for a user who already has this grant carries its id too.
    await adapter('Interaction').upsert('rev-interaction', { kind: 'Interaction', grantId: 'g-rev' }, LIVE);

    await accessTokens.revokeByGrantId('g-rev');

    expect(await accessTokens.find('rev-at-1')).toBeUndefined();
    expect(await accessTokens.find('rev-at-2')).toBeUndefined();
    expect(await accessTokens.find('other-grant-at')).toBeDefined();
    expect(await adapter('Interaction').find('rev-interaction')).toBeDefined();
    // oidc-provider revokes each model of the grant in turn.
    expect(await adapter('RefreshToken').find('rev-rt')).toBeDefined();
    await adapter('RefreshToken').revokeByGrantId('g-rev');
    expect(await adapter('RefreshToken').find('rev-rt')).toBeUndefined();
  });

  it('purges expired artefacts in batches and keeps live ones', async () => {
    await untilExpired();
    const expired = 3 + STALE_REPLAYS;
    // A batch of 10 needs several rounds: a purge that stopped after one would report 10.
    expect(await purgeExpiredPayloads(db, 10)).toBe(expired);
    expect(await purgeExpiredPayloads(db, 10)).toBe(0);
    const remaining: Array<{ model: string; id: string }> = await db('oidc_payloads').select('model', 'id');
    expect(remaining.filter((r) => r.id.startsWith('stale-') || r.id.startsWith('expiring-'))).toEqual([]);
    expect(remaining).toContainEqual({ model: 'AccessToken', id: 'at-1' });
    expect(remaining).toContainEqual({ model: 'Session', id: 'session-1' });
    expect(await adapter('AccessToken').find('at-1')).toBeDefined();
  });

  describe('Client', () => {
    const metadata = {
      client_id: 'portal',
      redirect_uris: ['https://portal.example/cb'],
      client_name: 'Portal',
    };

    beforeAll(async () => {
      await createClientStore(db, new SecretBox(TEST_SECRET_KEY)).insert({
        metadata,
        secret: 'portal-secret-value',
        skipConsent: false,
      });
    });

    it('reads clients from the clients table, secret decrypted, with the user scopes by default', async () => {
      expect(await adapter('Client').find('portal')).toEqual({
        ...metadata,
        client_secret: 'portal-secret-value',
        scope: 'openid offline_access profile email groups',
      });
      expect(await adapter('Client').find('nobody')).toBeUndefined();
    });

    // Dynamic registration (RFC 7591/7592) is the provider's only write: it lands in the clients table
    // like any other client, the secret encrypted at rest, and never in oidc_payloads.
    it('writes registered clients to the clients table, not to oidc_payloads, and deletes them', async () => {
      const clients = adapter('Client');
      await clients.upsert(
        'registered',
        {
          client_id: 'registered',
          client_secret: 'registered-secret',
          redirect_uris: ['https://r.example/cb'],
        },
        LIVE,
      );
      const [row] = await db('clients').where({ client_id: 'registered' });
      expect(JSON.stringify(row)).not.toContain('registered-secret');
      expect(await clients.find('registered')).toMatchObject({ client_secret: 'registered-secret' });
      await clients.consume('registered');
      await clients.revokeByGrantId('registered');
      expect(await clients.find('registered')).toMatchObject({ client_id: 'registered' });
      await clients.destroy('registered');
      expect(await clients.find('registered')).toBeUndefined();
      expect(await db('clients').where({ client_id: 'registered' })).toEqual([]);
      expect(await db('oidc_payloads').where({ model: 'Client' })).toEqual([]);
    });
  });
});
