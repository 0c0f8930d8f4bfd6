import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotificationType } from '../../src/notifications/notification-types.ts';
import type { User } from '../../src/users/user.ts';
import { ApiClient } from '../support/api-client.ts';
import { Browser, type Page, textOf } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { registerTestApp } from '../support/sign-in-flow.ts';
import {
  csrfOf,
  registerUpstream,
  signInThroughUpstream,
  throughUpstream,
} from '../support/upstream-flow.ts';
import { startUpstream, type UpstreamOp } from '../support/upstream-op.ts';

const PAT = 'pat@example.com';
const ADMIN = { email: 'root@example.com', password: 'administrator passphrase' };

/**
 * Linking and unlinking on the account page and through `/api/auth/unlink-login`, with three real
 * upstreams: Corp ID (auto-link, where Pat's account comes from), Partner ID (manual linking only)
 * and Locked ID (auto-link, but users may not link or unlink it themselves). The steps build on
 * each other, as one person's afternoon would.
 */
describe('linking and unlinking upstream providers', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let corp: UpstreamOp;
  let partner: UpstreamOp;
  let locked: UpstreamOp;
  let config: oidc.Configuration;
  let pat: User;
  /** Pat's browser, signed in to Gatehouse through Corp ID. */
  const browser = new Browser();
  const api = () => new ApiClient(browser, gh.issuer);

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    const user = { email: PAT, email_verified: true, name: 'Pat Upstream' };
    [corp, partner, locked] = await Promise.all([
      startUpstream({ gatehouseIssuer: gh.issuer, alias: 'corp', users: [{ sub: 'corp-pat', ...user }] }),
      startUpstream({
        gatehouseIssuer: gh.issuer,
        alias: 'partner',
        users: [{ sub: 'partner-pat', email: 'pat@partner.example', email_verified: true }],
      }),
      startUpstream({ gatehouseIssuer: gh.issuer, alias: 'locked', users: [{ sub: 'locked-pat', ...user }] }),
    ]);
    // Pat's own IdPs: trusted to link onto the account Corp ID made, without asking for proof.
    const autoLink = { autoLinkExternalAccount: true, linkSilently: true };
    await registerUpstream(gh, corp, { displayName: 'Corp ID', options: { autoLink } });
    await registerUpstream(gh, partner, { displayName: 'Partner ID', options: {} });
    await registerUpstream(gh, locked, {
      displayName: 'Locked ID',
      options: { autoLink, allowManualLinking: false },
    });
    await gh.gatehouse.userManager.createUser({ ...ADMIN, groups: ['admin'] });
    config = await registerTestApp(gh);
  });
  afterAll(async () => {
    await gh?.stop();
    await Promise.all([corp?.close(), partner?.close(), locked?.close()]);
    await db?.drop();
  });

  const linkedLogins = () => browser.visit(`${gh.issuer}/account/linked-logins`);
  const unlinkForm = (alias: string) =>
    `form[action="/account/linked-logins/unlink"][data-provider="${alias}"]`;

  async function auditTypes(type: NotificationType): Promise<unknown[]> {
    const events = await gh.gatehouse.audit.list({ affectedUserId: pat.id, type });
    return events.map((e) => e.details.providerAlias);
  }

  /** Presses "Link <provider>" on the account page and signs in at that upstream. */
  async function linkFromPage(alias: string, upstream: UpstreamOp, sub: string): Promise<Page> {
    const toUpstream = await browser.submit(
      await linkedLogins(),
      `form[action="/account/external/${alias}/link"]`,
    );
    return throughUpstream(browser, upstream, toUpstream, sub);
  }

  it('links a second provider from the account page', async () => {
    const signedIn = await signInThroughUpstream(browser, config, corp, 'corp-pat');
    await signedIn.finish(signedIn.page);
    const created = await gh.gatehouse.userManager.findByEmail(PAT);
    if (!created) throw new Error('Corp ID sign-in did not create Pat');
    pat = created;
    expect(pat.hasPassword).toBe(false);

    const account = await browser.visit(`${gh.issuer}/account`);
    expect(account.body).toContain('href="/account/linked-logins"');
    expect(account.body).not.toContain('href="/account/password"');
    expect(account.body).toContain('href="/session/end"');

    const before = await linkedLogins();
    expect(before.status).toBe(200);
    const text = textOf(before);
    expect(text).toContain(`Corp ID Linked as ${PAT}. Unlink Corp ID`);
    expect(text).toContain('Partner ID Not linked. Link Partner ID');
    expect(text).toContain('Locked ID Not linked. Your administrator manages this login');
    expect(before.body).not.toContain('/account/external/locked/link');

    // The link passes the sign-in pipeline's checks: an ExternalLogin handler's refusal links nothing.
    const stop = gh.gatehouse.notifications.on('ExternalLogin', (n) => {
      if (n.providerAlias === 'partner') n.refuse('Partner ID is not for this account.');
    });
    const vetoed = await linkFromPage('partner', partner, 'partner-pat');
    stop();
    expect(vetoed.status).toBe(403);
    expect(textOf(vetoed)).toContain('Partner ID is not for this account.');
    expect((await gh.gatehouse.external.service.allLinksOf(pat.id)).map((l) => l.providerAlias)).toEqual([
      'corp',
    ]);

    const linked = await linkFromPage('partner', partner, 'partner-pat');
    expect(linked.status).toBe(200);
    expect(textOf(linked)).toContain('Partner ID is linked');
    expect(textOf(await linkedLogins())).toContain(
      'Partner ID Linked as pat@partner.example. Unlink Partner ID',
    );
    expect(await auditTypes('ExternalLoginLinked')).toEqual(['partner', 'corp']);
  });

  it('unlinks it from the page, and refuses to unlink the last way to sign in', async () => {
    const unlinked = await browser.submit(await linkedLogins(), unlinkForm('partner'));
    expect(unlinked.status).toBe(200);
    expect(textOf(unlinked)).toContain('Partner ID is unlinked from your account.');
    expect(textOf(unlinked)).toContain('Partner ID Not linked. Link Partner ID');
    expect(await auditTypes('ExternalLoginUnlinked')).toEqual(['partner']);

    // Pat has no password: Corp ID is all that is left.
    const refused = await browser.submit(unlinked, unlinkForm('corp'));
    expect(refused.status).toBe(400);
    expect(textOf(refused)).toContain('This is your only way to sign in; link another provider first.');
    const viaApi = await api().post('/api/auth/unlink-login', {
      loginProvider: 'corp',
      providerKey: 'corp-pat',
    });
    expect(viaApi.status).toBe(400);
    expect(viaApi.json.message).toBe('This is your only way to sign in; link another provider first.');
    expect((await gh.gatehouse.external.service.linksOf(pat)).map((l) => l.providerAlias)).toEqual(['corp']);
    expect(await auditTypes('ExternalLoginUnlinked')).toEqual(['partner']);
  });

  it('refuses to link or unlink a provider whose manual linking is off (400)', async () => {
    const page = await linkedLogins();
    const link = await browser.request(`${gh.issuer}/account/external/locked/link`, {
      form: { _csrf: csrfOf(page) },
    });
    expect(link.status).toBe(400);
    expect(textOf(link)).toContain('Linking Locked ID is turned off.');

    // An administrator's choice: Locked ID links itself by verified email at sign-in.
    const viaLocked = await signInThroughUpstream(new Browser(), config, locked, 'locked-pat');
    expect((await viaLocked.finish(viaLocked.page)).claims()?.sub).toBe(pat.id);
    const withLocked = await linkedLogins();
    expect(textOf(withLocked)).toContain(`Locked ID Linked as ${PAT}. Your administrator manages this login`);
    expect(withLocked.body).not.toContain('Unlink Locked ID');

    const unlink = { loginProvider: 'locked', providerKey: 'locked-pat' };
    const fromPage = await browser.request(`${gh.issuer}/account/linked-logins/unlink`, {
      form: { _csrf: csrfOf(withLocked), ...unlink },
    });
    expect(fromPage.status).toBe(400);
    expect(textOf(fromPage)).toContain('Unlinking Locked ID is turned off.');
    const viaApi = await api().post('/api/auth/unlink-login', unlink);
    expect(viaApi.status).toBe(400);
    expect(viaApi.json).toMatchObject({
      error: 'invalid_input',
      message: 'Unlinking Locked ID is turned off.',
    });
  });

  it('unlinks through /api/auth/unlink-login', async () => {
    expect(textOf(await linkFromPage('partner', partner, 'partner-pat'))).toContain('Partner ID is linked');
    const done = await api().post('/api/auth/unlink-login', {
      loginProvider: 'partner',
      providerKey: 'partner-pat',
    });
    expect(done.status, JSON.stringify(done.json)).toBe(200);
    expect(done.json.linkedLogins).toEqual([
      { loginProvider: 'corp', providerKey: 'corp-pat' },
      { loginProvider: 'locked', providerKey: 'locked-pat' },
    ]);
    expect(await auditTypes('ExternalLoginUnlinked')).toEqual(['partner', 'partner']);

    const notLinked = await api().post('/api/auth/unlink-login', {
      loginProvider: 'partner',
      providerKey: 'partner-pat',
    });
    expect(notLinked.status).toBe(404);
    const stranger = await new ApiClient(new Browser(), gh.issuer).post('/api/auth/unlink-login', {
      loginProvider: 'corp',
      providerKey: 'corp-pat',
    });
    expect(stranger.status).toBe(401);
    const empty = await api().post('/api/auth/unlink-login', {});
    expect(empty.status).toBe(400);
  });

  it('detaches the links of a removed provider, and restores them when its alias comes back', async () => {
    const admin = new ApiClient(new Browser(), gh.issuer);
    expect(
      (await admin.post('/api/auth/login', { username: ADMIN.email, password: ADMIN.password })).status,
    ).toBe(200);
    const adminView = async () =>
      (await admin.get(`/api/admin/v1/users/${pat.id}/external-logins`)).json.externalLogins as Array<
        Record<string, unknown>
      >;

    await gh.gatehouse.external.registry.delete('corp');
    const service = gh.gatehouse.external.service;
    expect((await service.linksOf(pat)).map((l) => l.providerAlias)).toEqual(['locked']);
    expect((await service.allLinksOf(pat.id)).map((l) => l.providerAlias)).toEqual(['corp', 'locked']);
    expect(textOf(await linkedLogins())).not.toContain('Corp ID');
    expect(await adminView()).toMatchObject([
      { providerAlias: 'corp', providerName: null, subject: 'corp-pat', email: PAT, detached: true },
      { providerAlias: 'locked', providerName: 'Locked ID', subject: 'locked-pat', detached: false },
    ]);

    // Back without auto-link: only the kept link can let Pat in.
    await registerUpstream(gh, corp, { displayName: 'Corp ID', options: {} });
    const again = await signInThroughUpstream(new Browser(), config, corp, 'corp-pat');
    expect((await again.finish(again.page)).claims()?.sub).toBe(pat.id);
    expect(await adminView()).toMatchObject([
      { providerAlias: 'corp', providerName: 'Corp ID', detached: false },
      { providerAlias: 'locked', detached: false },
    ]);
    expect((await gh.gatehouse.userManager.listUsers()).map((u) => u.email).sort()).toEqual([
      PAT,
      ADMIN.email,
    ]);

    const nobody = await admin.get(
      '/api/admin/v1/users/00000000-0000-4000-8000-000000000000/external-logins',
    );
    expect(nobody.status).toBe(404);
    const notAdmin = await api().get(`/api/admin/v1/users/${pat.id}/external-logins`);
    expect(notAdmin.status).toBe(403);
  });
});
