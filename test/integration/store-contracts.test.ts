import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken, SecretBox } from '../../src/crypto/secret-box.ts';
import { createDatabase, type Database } from '../../src/db/database.ts';
import { migrateLatest } from '../../src/db/migrations.ts';
import { AuthRequestStore } from '../../src/external-logins/auth-request-store.ts';
import { ExternalGroupStore } from '../../src/external-logins/external-group-store.ts';
import { ExternalLoginStore } from '../../src/external-logins/external-login-store.ts';
import type { ExternalProviderOptions } from '../../src/external-logins/external-provider.ts';
import { ExternalProviderStore } from '../../src/external-logins/external-provider-store.ts';
import { ExternalSessionStore } from '../../src/external-logins/external-session-store.ts';
import { LogoutContinuations } from '../../src/external-logins/logout-continuation-store.ts';
import { providerOptionsSchema } from '../../src/external-logins/provider-schema.ts';
import { createAuditStore } from '../../src/notifications/audit-store.ts';
import { OutboxStore } from '../../src/notifications/email/outbox-store.ts';
import { createClientStore } from '../../src/oidc/client-store.ts';
import { ConsentStore } from '../../src/oidc/consent-store.ts';
import { OidcPayloadStore } from '../../src/oidc/payload-store.ts';
import { SessionActivityStore } from '../../src/oidc/session-activity-store.ts';
import { SigningKeyStore } from '../../src/oidc/signing-key-store.ts';
import { createRateLimitStore } from '../../src/rate-limits/rate-limit-store.ts';
import { createOneTimeTokenStore } from '../../src/users/one-time-token-store.ts';
import { TwoFactorStore } from '../../src/users/two-factor/two-factor-store.ts';
import type { User } from '../../src/users/user.ts';
import { createUserStore } from '../../src/users/user-store.ts';
import { TEST_SECRET_KEY } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

/**
 * What each store promises its callers, against a real PostgreSQL with the real migrations: the
 * atomic parts (locks, single use, conflicts), expiry, encryption at rest and transactions.
 */
describe('store contracts', () => {
  let database: TestDatabase;
  let db: Database;
  const box = new SecretBox(TEST_SECRET_KEY);
  let seq = 0;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDatabase(database.url);
    await migrateLatest(db);
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  const newUser = (): Promise<User> =>
    createUserStore(db).insert({
      email: `user${++seq}@example.com`,
      name: '',
      groups: [],
      passwordHash: 'hash',
      status: 'active',
    });
  const expire = (table: string, where: Record<string, unknown>, interval = '1 second') =>
    db(table)
      .where(where)
      .update({ expires_at: db.raw(`now() - interval '${interval}'`) });

  describe('UserStore', () => {
    it('finds by email in any case, bumps the stamp only when asked, refuses a second address', async () => {
      const users = createUserStore(db);
      const user = await newUser();
      expect((await users.findByEmail(user.email.toUpperCase()))?.id).toBe(user.id);
      expect((await users.update(user.id, { name: 'A' }))?.securityStamp).toBe(user.securityStamp);
      expect((await users.update(user.id, { name: 'B' }, { bumpStamp: true }))?.securityStamp).not.toBe(
        user.securityStamp,
      );
      await expect(users.insert({ ...user, passwordHash: null })).rejects.toMatchObject({ code: '23505' });
      expect(await users.findById('not-a-uuid')).toBeUndefined();
    });

    it('locks at the limit exactly once and starts counting again', async () => {
      const users = createUserStore(db);
      const user = await newUser();
      const results = [];
      for (let i = 0; i < 3; i++) results.push((await users.registerFailedAttempt(user.id, 3, 60)).lockedNow);
      expect(results).toEqual([false, false, true]);
      expect(await users.findById(user.id)).toMatchObject({ failedCount: 0, lockoutEnd: expect.any(Date) });
      expect(await users.resetFailedAttempts(user.id)).toBe(false);
      await users.registerFailedAttempt(user.id, 3, 60);
      expect(await users.resetFailedAttempts(user.id)).toBe(true);
    });

    it('reserves attempts in one statement: parallel attempts cannot pass the limit', async () => {
      const users = createUserStore(db);
      const user = await newUser();
      const reserved = await Promise.all(
        Array.from({ length: 10 }, () => users.reserveAttempt({ email: user.email.toUpperCase() }, 3)),
      );
      expect(reserved.filter((r) => r && 'user' in r)).toHaveLength(3);
      expect(reserved.filter((r) => r && 'refused' in r && r.refused === 'locked')).toHaveLength(7);
      // Each reservation reports the user without its own count.
      const counts = reserved.flatMap((r) => (r && 'user' in r ? [r.user.failedCount] : [])).sort();
      expect(counts).toEqual([0, 1, 2]);
      expect((await users.failAttempt(user.id, 3, 60)).lockedNow).toBe(true);
      expect(await users.reserveAttempt({ id: user.id }, 3)).toEqual({ refused: 'locked', userId: user.id });
      await users.setLockoutEnd(user.id, null);
      const right = await users.reserveAttempt({ id: user.id }, 3);
      await users.releaseAttempt(user.id);
      expect(right && 'user' in right && right.passwordHash).toBe('hash');
      expect((await users.findById(user.id))?.failedCount).toBe(0);
      await users.update(user.id, { status: 'disabled' });
      expect(await users.reserveAttempt({ id: user.id }, 3)).toEqual({
        refused: 'disabled',
        userId: user.id,
      });
      expect(await users.reserveAttempt({ email: 'nobody@example.com' }, 3)).toBeUndefined();
      expect(await users.reserveAttempt({ id: 'not-a-uuid' }, 3)).toBeUndefined();
    });

    it('rolls a transaction back as a whole', async () => {
      const users = createUserStore(db);
      const user = await newUser();
      await expect(
        users.transaction(async (store) => {
          await store.update(user.id, { name: 'half done' });
          throw new Error('second step failed');
        }),
      ).rejects.toThrow('second step failed');
      expect((await users.findById(user.id))?.name).toBe('');
    });
  });

  describe('OneTimeTokenStore', () => {
    it('stores only a hash, redeems once, carries the stamp, and revokes', async () => {
      const tokens = createOneTimeTokenStore(db);
      const user = await newUser();
      const token = await tokens.issue('invite', user.id, 60, undefined, { securityStamp: 'stamp-1' });
      expect(await db('one_time_tokens').where({ token_hash: token }).first()).toBeUndefined();
      expect(await tokens.peek('invite', token)).toEqual({
        userId: user.id,
        purpose: 'invite',
        securityStamp: 'stamp-1',
        allowOtherEmail: false,
      });
      const open = await tokens.issue('invite', user.id, 60, undefined, { allowOtherEmail: true });
      expect(await tokens.peek('invite', open)).toMatchObject({ allowOtherEmail: true });
      expect(await tokens.peek('password_reset', token)).toBeUndefined();
      const redeemed = await Promise.all([tokens.redeem('invite', token), tokens.redeem('invite', token)]);
      expect(redeemed.filter(Boolean)).toHaveLength(1);
      const other = await tokens.issue('invite', user.id, 60);
      await tokens.revokeAll('invite', user.id);
      expect(await tokens.peek('invite', other)).toBeUndefined();
    });

    it('finds nothing expired; purges what expired more than a week ago', async () => {
      const tokens = createOneTimeTokenStore(db);
      const recent = await tokens.issue('setup', null, 60);
      const old = await tokens.issue('setup', null, 60);
      await db('one_time_tokens')
        .where({ token_hash: hashToken(recent) })
        .update({ expires_at: db.raw("now() - interval '1 day'") });
      expect(await tokens.peek('setup', recent)).toBeUndefined();
      await db('one_time_tokens')
        .where({ token_hash: hashToken(old) })
        .update({ expires_at: db.raw("now() - interval '8 days'") });
      expect(await tokens.purgeExpired()).toBe(1);
      expect(
        await db('one_time_tokens')
          .where({ token_hash: hashToken(recent) })
          .first(),
      ).toBeTruthy();
    });
  });

  describe('TwoFactorStore', () => {
    it('keeps secrets encrypted, claims each TOTP step once and upwards, uses recovery codes once', async () => {
      const store = new TwoFactorStore(db, box);
      const user = await newUser();
      await store.savePending(user.id, 'totp', 'JBSWY3DPEHPK3PXP');
      expect(JSON.stringify(await db('user_two_factor').where({ user_id: user.id }))).not.toContain(
        'JBSWY3DPEHPK3PXP',
      );
      await store.confirm(user.id, 'totp', 10);
      expect(await store.list(user.id)).toMatchObject([
        { provider: 'totp', secret: 'JBSWY3DPEHPK3PXP', confirmed: true },
      ]);
      expect(await store.claimStep(user.id, 10)).toBe(false);
      const claims = await Promise.all([store.claimStep(user.id, 11), store.claimStep(user.id, 11)]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await store.claimStep(user.id, 9)).toBe(false);
      await store.replaceRecoveryCodes(user.id, ['h1', 'h2']);
      const uses = await Promise.all([
        store.useRecoveryCode(user.id, 'h1'),
        store.useRecoveryCode(user.id, 'h1'),
      ]);
      expect(uses.filter(Boolean)).toHaveLength(1);
      expect(await store.remainingRecoveryCodes(user.id)).toBe(1);
    });

    it('removes methods and codes together or not at all', async () => {
      const store = new TwoFactorStore(db, box);
      const user = await newUser();
      await store.savePending(user.id, 'email', null);
      await store.replaceRecoveryCodes(user.id, ['h3']);
      await expect(
        store.transaction(async (inner) => {
          await inner.remove(user.id);
          throw new Error('interrupted');
        }),
      ).rejects.toThrow('interrupted');
      expect(await store.list(user.id)).toHaveLength(1);
      await store.transaction(async (inner) => {
        await inner.remove(user.id);
        await inner.removeRecoveryCodes(user.id);
      });
      expect(await store.list(user.id)).toEqual([]);
      expect(await store.remainingRecoveryCodes(user.id)).toBe(0);
    });
  });

  describe('ExternalLoginStore', () => {
    it('links an upstream identity to one user only, and unlinks only its owner', async () => {
      const links = new ExternalLoginStore(db);
      const [a, b] = [await newUser(), await newUser()];
      const raced = await Promise.all([
        links.link('corp', 'sub-1', a.id, 'a@example.com'),
        links.link('corp', 'sub-1', b.id, 'b@example.com'),
      ]);
      expect(raced.filter(Boolean)).toHaveLength(1);
      const owner = (await links.find('corp', 'sub-1'))?.userId;
      const other = owner === a.id ? b.id : a.id;
      expect(await links.unlink('corp', 'sub-1', other)).toBe(false);
      expect(await links.listForUser(owner ?? '')).toHaveLength(1);
      expect(await links.unlink('corp', 'sub-1', owner ?? '')).toBe(true);
      expect(await links.find('corp', 'sub-1')).toBeUndefined();
    });

    it('writes a link inside a transaction, and not at all when the transaction fails', async () => {
      const links = new ExternalLoginStore(db);
      const user = await newUser();
      await expect(
        db.transaction(async (trx) => {
          expect(await links.withTransaction(trx).link('corp', 'sub-trx', user.id, undefined)).toBe(true);
          throw new Error('the approval failed');
        }),
      ).rejects.toThrow('the approval failed');
      expect(await links.find('corp', 'sub-trx')).toBeUndefined();
    });
  });

  describe('ExternalProviderStore and ExternalGroupStore', () => {
    it('keeps the client secret encrypted, replaces a provider by alias, and deletes it', async () => {
      const providers = new ExternalProviderStore(db, box);
      const provider = {
        alias: 'contract-idp',
        kind: 'oidc' as const,
        displayName: 'Contract IdP',
        issuer: 'https://idp.example',
        clientId: 'gatehouse',
        clientSecret: 'upstream-secret-value',
        scopes: ['openid'],
        sortOrder: 0,
        source: 'database' as const,
        options: providerOptionsSchema.parse({}) as ExternalProviderOptions,
      };
      await providers.upsert(provider);
      await providers.upsert({ ...provider, displayName: 'Renamed' });
      expect(JSON.stringify(await db('external_providers'))).not.toContain('upstream-secret-value');
      expect(await providers.find('contract-idp')).toMatchObject({
        displayName: 'Renamed',
        clientSecret: 'upstream-secret-value',
      });
      expect(await providers.delete('contract-idp')).toBe(true);
      expect(await providers.find('contract-idp')).toBeUndefined();
    });

    it("replaces one provider's group grants without touching another's", async () => {
      const groups = new ExternalGroupStore(db);
      const user = await newUser();
      await groups.replace(user.id, 'corp', ['staff', 'ops']);
      await groups.replace(user.id, 'other', ['guests']);
      await groups.replace(user.id, 'corp', ['staff']);
      expect(await groups.granted(user.id, 'corp')).toEqual(['staff']);
      expect(await groups.granted(user.id, 'corp', 'others')).toEqual(['guests']);
      await groups.replace(user.id, 'corp', []);
      expect(await groups.granted(user.id, 'corp')).toEqual([]);
    });
  });

  describe('ConsentStore and RateLimitStore', () => {
    it('widens a consent, never narrows it, and revokes it with its grants', async () => {
      const consents = new ConsentStore(db);
      const user = await newUser();
      const metadata = { client_id: 'consent-app', redirect_uris: ['https://app.example/cb'] };
      await createClientStore(db, box).insert({ metadata, secret: 'x'.repeat(32), skipConsent: false });
      await consents.remember(user.id, 'consent-app', ['openid', 'email'], []);
      await consents.remember(user.id, 'consent-app', ['openid'], ['name']);
      expect(await consents.find(user.id, 'consent-app')).toMatchObject({
        scopes: ['email', 'openid'],
        claims: ['name'],
      });
      await db('oidc_payloads').insert({
        model: 'Grant',
        id: 'consent-grant',
        payload: JSON.stringify({ accountId: user.id, clientId: 'consent-app' }),
      });
      expect(await consents.revoke(user.id, 'consent-app')).toBe(true);
      expect(await consents.find(user.id, 'consent-app')).toBeUndefined();
      expect(await db('oidc_payloads').where({ id: 'consent-grant' })).toEqual([]);
    });

    it('counts parallel hits without losing one, and purges only old windows', async () => {
      const limits = createRateLimitStore(db);
      const counts = await Promise.all(Array.from({ length: 20 }, () => limits.hit('contract-key', 600)));
      expect(Math.max(...counts.map((c) => c.current))).toBe(20);
      expect(new Set(counts.map((c) => c.current)).size).toBe(20);
      expect(await limits.purge()).toBe(0);
      const [verdict] = await limits.applyAll([
        { kind: 'peek', key: 'contract-key', limit: 20, windowSeconds: 600 },
      ]);
      expect(verdict?.allowed).toBe(false);
    });
  });

  describe('SigningKeyStore', () => {
    it('adds a first key per algorithm once however many nodes start, rotates, and purges expired keys', async () => {
      const keys = new SigningKeyStore(db);
      let n = 0;
      const make = (alg: string) => ({ kid: `kid-${alg}-${++n}`, alg, private_jwk_encrypted: 'sealed' });
      await Promise.all([
        keys.addMissing(['RS256', 'ES256'], make),
        keys.addMissing(['RS256', 'ES256'], make),
      ]);
      expect((await keys.published()).map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
      await keys.rotate([make('RS256'), make('ES256')], 0);
      const published = await keys.published();
      expect(published.filter((k) => k.retired_at === null)).toHaveLength(2);
      expect(published[0]?.retired_at).toBeNull();
      await new Promise((r) => setTimeout(r, 20));
      expect(await keys.purgeExpired()).toBe(2);
      expect(await keys.published()).toHaveLength(2);
    });
  });

  describe('OutboxStore and SessionActivityStore', () => {
    it('keeps an email with its links and answers its id', async () => {
      const outbox = new OutboxStore(db);
      const text = 'Open https://gatehouse.example/invite?token=abc to accept.';
      const id = await outbox.add({
        emailType: 'UserInvite',
        to: 'x@example.com',
        subject: 'Hi',
        text,
        html: '',
      });
      const { messages } = await outbox.list({ offset: 0, limit: 10 });
      expect(messages.find((m) => m.id === id)?.links).toEqual([
        'https://gatehouse.example/invite?token=abc',
      ]);
    });

    it("purges the activity of sessions that no longer exist, never a live session's", async () => {
      const activity = new SessionActivityStore(db);
      const user = await newUser();
      await activity.touch('gone-session', user.id, '203.0.113.1', 'Firefox');
      await activity.touch('live-session', user.id, '203.0.113.2', 'Firefox');
      await db('session_activity').update({ last_seen: db.raw("now() - interval '2 days'") });
      await db('oidc_payloads').insert({
        model: 'Session',
        id: 'live-session-id',
        uid: 'live-session',
        payload: JSON.stringify({ uid: 'live-session' }),
        expires_at: db.raw("now() + interval '1 day'"),
      });
      expect(await activity.purgeExpired()).toBeGreaterThanOrEqual(1);
      expect([...(await activity.forAccount(user.id)).keys()]).toEqual(['live-session']);
    });
  });

  describe('ExternalSessionStore', () => {
    it('encrypts the upstream tokens, finds by session and by sid/sub, and purges expired records', async () => {
      const sessions = new ExternalSessionStore(db, box);
      const user = await newUser();
      const entry = {
        userId: user.id,
        providerAlias: 'corp',
        subject: 'sub-2',
        upstreamSid: 'up-sid',
        idToken: 'header.payload.signature',
        accessToken: 'access-secret',
        refreshToken: 'refresh-secret',
        ttlSeconds: 60,
      };
      const id = await sessions.record(entry);
      expect(JSON.stringify(await db('external_sessions').where({ id }))).not.toContain('refresh-secret');
      expect(await sessions.matching('corp', { sid: 'up-sid' })).toEqual([]);
      await sessions.bind(id, 'session-uid-1');
      expect(await sessions.forSession('session-uid-1')).toMatchObject({ id, idToken: entry.idToken });
      expect(await sessions.matching('corp', { sid: 'up-sid' })).toHaveLength(1);
      expect(await sessions.matching('corp', { sub: 'sub-2' })).toHaveLength(1);
      const stale = await sessions.record({ ...entry, upstreamSid: 'old' });
      await expire('external_sessions', { id: stale });
      expect(await sessions.purgeExpired()).toBe(1);
      expect(await sessions.forSession('session-uid-1')).toBeDefined();
    });
  });

  describe('AuthRequestStore and LogoutContinuations', () => {
    it('hands out each round trip once, never after it expired, and purges expired ones', async () => {
      const requests = new AuthRequestStore(db);
      const request = await requests.create({
        providerAlias: 'corp',
        purpose: 'login',
        interactionUid: 'i-1',
        userId: null,
        inviteToken: null,
        codeVerifier: 'verifier',
      });
      expect((await requests.peek(request.state))?.codeVerifier).toBe('verifier');
      const taken = await Promise.all([requests.take(request.state), requests.take(request.state)]);
      expect(taken.filter(Boolean)).toHaveLength(1);
      const late = await requests.create({ ...request, purpose: 'login' });
      await expire('external_auth_requests', { state: late.state });
      expect(await requests.take(late.state)).toBeUndefined();
      expect(await requests.purgeExpired()).toBe(1);

      const continuations = new LogoutContinuations(db);
      const state = await continuations.create('https://app.example/bye');
      expect(await continuations.take(state)).toBe('https://app.example/bye');
      expect(await continuations.take(state)).toBeUndefined();
      const old = await continuations.create('https://app.example/old');
      await expire('logout_continuations', { state: old });
      expect(await continuations.take(old)).toBeUndefined();
      expect(await continuations.purgeExpired()).toBe(1);
    });
  });

  describe('ClientStore and OidcPayloadStore', () => {
    it('keeps client secrets encrypted and deletes a client with what was issued to it, or nothing', async () => {
      const clients = createClientStore(db, box);
      const payloads = new OidcPayloadStore(db);
      const metadata = { client_id: 'contract-app', redirect_uris: ['https://app.example/cb'] };
      await clients.insert({ metadata, secret: 'client-secret-value', skipConsent: false });
      expect(JSON.stringify(await db('clients').where({ client_id: 'contract-app' }))).not.toContain(
        'client-secret-value',
      );
      expect((await clients.findMetadata('contract-app'))?.client_secret).toBe('client-secret-value');
      await db('oidc_payloads').insert({
        id: 'at-1',
        model: 'AccessToken',
        payload: { clientId: 'contract-app', accountId: 'acc' },
      });
      await expect(
        db.transaction(async (trx) => {
          await clients.withTransaction(trx).delete('contract-app');
          await payloads.withTransaction(trx).deleteIssuedToClient('contract-app');
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(await clients.find('contract-app')).toBeDefined();
      expect(await payloads.deleteIssuedToClient('contract-app')).toBe(1);
      expect(await clients.delete('contract-app')).toBe(true);
      expect(await clients.delete('contract-app')).toBe(false);
    });

    it("lists an account's sessions and deletes its grants except those kept; purges expired rows", async () => {
      const payloads = new OidcPayloadStore(db);
      const rows = [
        { id: 's-1', model: 'Session', payload: { accountId: 'acc-1', uid: 'u-1' } },
        { id: 'g-keep', model: 'Grant', payload: { accountId: 'acc-1' } },
        { id: 'g-drop', model: 'Grant', payload: { accountId: 'acc-1' } },
        { id: 'at-keep', model: 'AccessToken', grant_id: 'g-keep', payload: { accountId: 'acc-1' } },
        { id: 'at-drop', model: 'AccessToken', grant_id: 'g-drop', payload: { accountId: 'acc-1' } },
      ];
      await db('oidc_payloads').insert(rows);
      expect(await payloads.sessionIdsOf('acc-1')).toEqual(['s-1']);
      expect((await payloads.liveSessionsOf('acc-1')).map((s) => s.uid)).toEqual(['u-1']);
      expect(await payloads.deleteIssuedToAccount('acc-1', ['g-keep'])).toBe(2);
      const left = (
        await db('oidc_payloads')
          .whereIn(
            'id',
            rows.map((r) => r.id),
          )
          .select('id')
      ).map((r) => r.id);
      expect(left.sort()).toEqual(['at-keep', 'g-keep', 's-1']);
      await expire('oidc_payloads', { id: 's-1' });
      expect(await payloads.liveSessionsOf('acc-1')).toEqual([]);
      expect(await payloads.purgeExpired(1)).toBe(1);
    });
  });

  describe('AuditStore', () => {
    it('records notifications and lists them by user and type, newest first', async () => {
      const audit = createAuditStore(db);
      const user = await newUser();
      const base = {
        at: new Date(),
        ip: '203.0.113.7',
        affectedUserId: user.id,
        performingUserId: undefined,
      };
      await audit.record({ ...base, type: 'UserLocked' } as Parameters<typeof audit.record>[0]);
      await audit.record({ ...base, type: 'UserUnlocked' } as Parameters<typeof audit.record>[0]);
      const all = await audit.list({ affectedUserId: user.id });
      expect(all.map((e) => e.type)).toEqual(['UserUnlocked', 'UserLocked']);
      expect(await audit.list({ affectedUserId: user.id, type: 'UserLocked' })).toHaveLength(1);
    });
  });
});
