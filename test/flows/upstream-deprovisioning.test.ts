import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { Browser } from '../support/browser.ts';
import { type EntraLikeOp, startEntraLike } from '../support/entra-like-op.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { type GitHubLike, startGitHubLike } from '../support/github-like.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { registerTestApp } from '../support/sign-in-flow.ts';
import { registerUpstream, signInThroughUpstream, type TestUpstream } from '../support/upstream-flow.ts';

/** The configured re-check interval; a disabled user must be out within about twice this. */
const REVALIDATE_SECONDS = 2;

/**
 * Deprovisioning: the upstream disables a user (Entra-like: its refresh token is refused;
 * GitHub-like: the user is suspended and user-info answers 401), and within the configured time
 * the Gatehouse session ends and the application's refresh token stops working.
 */
describe('deprovisioning through the upstream', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let entra: EntraLikeOp;
  let github: GitHubLike;
  let config: oidc.Configuration;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({
      databaseUrl: db.url,
      env: { UPSTREAM_REVALIDATE_SECONDS: String(REVALIDATE_SECONDS) },
    });
    [entra, github] = await Promise.all([
      startEntraLike({
        gatehouseIssuer: gh.issuer,
        alias: 'entra',
        users: [
          { sub: 'e-dee', upn: 'dee@contoso.com', xms_edov: true, groups: ['staff-oid'] },
          { sub: 'e-stay', upn: 'stay@contoso.com', xms_edov: true, groups: ['staff-oid'] },
        ],
      }),
      startGitHubLike({
        gatehouseIssuer: gh.issuer,
        alias: 'github',
        users: [
          { id: 7, login: 'gus', emails: [{ email: 'gus@example.com', primary: true, verified: true }] },
        ],
      }),
    ]);
    await registerUpstream(gh, entra, {
      options: {
        preset: 'entra',
        autoLink: { mode: 'link-and-create', matchClaim: 'upn' },
        groupMappings: [{ claim: 'groups', value: 'staff-oid', group: 'staff' }],
      },
    });
    await registerUpstream(gh, github, {
      options: { preset: 'github', autoLink: { mode: 'link-and-create' } },
    });
    config = await registerTestApp(gh, {
      clientId: 'app-with-refresh',
      grants: ['authorization_code', 'refresh_token'],
    });
  });
  afterAll(async () => {
    await gh?.stop();
    await Promise.all([entra?.close(), github?.close()]);
    await db?.drop();
  });

  const isAuthenticated = async (browser: Browser) =>
    (await new ApiClient(browser, gh.issuer).get('/api/auth/is-authenticated')).json.isAuthenticated;

  async function signedIn(upstream: TestUpstream, sub: string) {
    const browser = new Browser();
    const { page, finish } = await signInThroughUpstream(browser, config, upstream, sub);
    const tokens = await finish(page);
    expect(tokens.refresh_token).toBeTruthy();
    expect(await isAuthenticated(browser)).toBe(true);
    return { browser, refreshToken: tokens.refresh_token ?? '' };
  }

  /** Polls until the session is gone; answers how long it took. */
  async function untilSignedOut(browser: Browser): Promise<number> {
    const started = Date.now();
    while (await isAuthenticated(browser)) {
      if (Date.now() - started > REVALIDATE_SECONDS * 2 * 1000 + 2000) throw new Error('still signed in');
      await new Promise((r) => setTimeout(r, 200));
    }
    return Date.now() - started;
  }

  it('ends the session and the refresh token of a user Entra disabled; others stay', async () => {
    const dee = await signedIn(entra, 'e-dee');
    const stay = await signedIn(entra, 'e-stay');
    const events = await gh.gatehouse.audit.list({ type: 'UserLogoutSuccess' });

    entra.disabled.add('e-dee');
    await untilSignedOut(dee.browser);
    await expect(oidc.refreshTokenGrant(config, dee.refreshToken)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    const deeUser = await gh.gatehouse.userManager.findByEmail('dee@contoso.com');
    const after = await gh.gatehouse.audit.list({ type: 'UserLogoutSuccess', affectedUserId: deeUser?.id });
    // One session, announced once: the schedule and the refresh never both end it.
    expect(events.filter((e) => e.affectedUserId === deeUser?.id)).toHaveLength(0);
    expect(after).toHaveLength(1);

    // Re-checked too, and still welcome upstream: nothing changes for Stay.
    await new Promise((r) => setTimeout(r, REVALIDATE_SECONDS * 1500));
    expect(await isAuthenticated(stay.browser)).toBe(true);
    await expect(oidc.refreshTokenGrant(config, stay.refreshToken)).resolves.toMatchObject({
      refresh_token: expect.any(String),
    });
  });

  it('re-maps groups at the re-check: a group Entra stopped asserting is removed', async () => {
    const stayBefore = await gh.gatehouse.userManager.findByEmail('stay@contoso.com');
    expect(stayBefore?.groups).toEqual(['staff']);
    entra.users.set('e-stay', { ...entra.users.get('e-stay'), sub: 'e-stay', groups: [] });
    const started = Date.now();
    while ((await gh.gatehouse.userManager.findByEmail('stay@contoso.com'))?.groups.length) {
      if (Date.now() - started > REVALIDATE_SECONDS * 2 * 1000 + 2000)
        throw new Error('groups not re-mapped');
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  it('ends the session and the refresh token of a user GitHub suspended', async () => {
    const gus = await signedIn(github, 'gus');
    github.suspend('gus');
    await untilSignedOut(gus.browser);
    await expect(oidc.refreshTokenGrant(config, gus.refreshToken)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });
});

/**
 * Deprovisioning at refresh time, with the schedule far away (10 minutes): the application's refresh
 * is what re-checks the user once the last check is older than the configured time, and a refusal
 * upstream refuses the refresh token, ends the session and announces it once.
 */
describe('deprovisioning when the application refreshes', () => {
  const INTERVAL = 600;
  let db: TestDatabase;
  let gh: TestGatehouse;
  let entra: EntraLikeOp;
  let github: GitHubLike;
  let config: oidc.Configuration;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({
      databaseUrl: db.url,
      env: { UPSTREAM_REVALIDATE_SECONDS: String(INTERVAL) },
    });
    [entra, github] = await Promise.all([
      startEntraLike({
        gatehouseIssuer: gh.issuer,
        alias: 'entra',
        users: [{ sub: 'e-ria', upn: 'ria@contoso.com', xms_edov: true }],
      }),
      startGitHubLike({
        gatehouseIssuer: gh.issuer,
        alias: 'github',
        users: [
          { id: 8, login: 'hal', emails: [{ email: 'hal@example.com', primary: true, verified: true }] },
        ],
      }),
    ]);
    await registerUpstream(gh, entra, {
      options: { preset: 'entra', autoLink: { mode: 'link-and-create', matchClaim: 'upn' } },
    });
    await registerUpstream(gh, github, {
      options: { preset: 'github', autoLink: { mode: 'link-and-create' } },
    });
    config = await registerTestApp(gh, {
      clientId: 'refreshing',
      grants: ['authorization_code', 'refresh_token'],
    });
  });
  afterAll(async () => {
    await gh?.stop();
    await Promise.all([entra?.close(), github?.close()]);
    await db?.drop();
  });

  const isAuthenticated = async (browser: Browser) =>
    (await new ApiClient(browser, gh.issuer).get('/api/auth/is-authenticated')).json.isAuthenticated;
  /** As if the configured time had passed since the last check of the user's upstream sessions. */
  const lastCheckedLongAgo = (userId: string) =>
    gh.gatehouse.db.raw(
      `UPDATE external_sessions SET checked_at = now() - make_interval(secs => ?) WHERE user_id = ?`,
      [INTERVAL + 60, userId],
    );

  it.each([
    ['Entra', 'e-ria', 'ria@contoso.com', (sub: string) => entra.disabled.add(sub)],
    ['GitHub', 'hal', 'hal@example.com', (login: string) => github.suspend(login)],
  ])(
    'refuses the refresh token of a user %s disabled, once the check is due',
    async (_name, sub, email, disable) => {
      const upstream: TestUpstream = sub === 'hal' ? github : entra;
      const browser = new Browser();
      const { page, finish } = await signInThroughUpstream(browser, config, upstream, sub);
      const first = await finish(page);
      const user = await gh.gatehouse.userManager.findByEmail(email);
      if (!user) throw new Error(`${email} was not created`);

      disable(sub);
      // Checked at sign-in, so not due yet: the refresh goes through without asking the upstream.
      const second = await oidc.refreshTokenGrant(config, first.refresh_token ?? '');
      expect(await isAuthenticated(browser)).toBe(true);

      await lastCheckedLongAgo(user.id);
      await expect(oidc.refreshTokenGrant(config, second.refresh_token ?? '')).rejects.toMatchObject({
        error: 'invalid_grant',
      });
      expect(await isAuthenticated(browser)).toBe(false);
      const logouts = await gh.gatehouse.audit.list({ type: 'UserLogoutSuccess', affectedUserId: user.id });
      expect(logouts).toHaveLength(1);
      expect(logouts[0]?.details).toMatchObject({ reason: 'upstream' });
    },
  );
});
