import { parse } from 'node-html-parser';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { Browser, type Page, textOf } from '../support/browser.ts';
import { freePort, startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import {
  registerTestApp,
  type StartedSignIn,
  startAuthorization,
  TEST_REDIRECT_URI,
} from '../support/sign-in-flow.ts';
import { pressUpstreamButton, registerUpstream } from '../support/upstream-flow.ts';
import { startUpstream, type UpstreamOp } from '../support/upstream-op.ts';

const POST_LOGOUT_URI = 'http://127.0.0.1:9/signed-out';
const ANN = { sub: 'u-ann', email: 'ann@example.com', email_verified: true, name: 'Ann' };

describe('auto-redirect and idp_hint', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let corp: UpstreamOp;
  let partner: UpstreamOp;
  let config: oidc.Configuration;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    [corp, partner] = await Promise.all([
      startUpstream({ gatehouseIssuer: gh.issuer, alias: 'corp', users: [ANN] }),
      startUpstream({ gatehouseIssuer: gh.issuer, alias: 'partner', users: [ANN] }),
    ]);
    // Both IdPs are Ann's own: trusted to link onto the account the first one made.
    const autoLink = { autoLinkExternalAccount: true, linkSilently: true };
    // Without federated logout the upstream session outlives ours, so only Gatehouse's own
    // "just signed out" rule stands between a sign-out and an instant sign-in again.
    await registerUpstream(gh, corp, {
      displayName: 'Corp ID',
      options: { autoRedirect: true, federatedLogout: false, autoLink },
    });
    await registerUpstream(gh, partner, { displayName: 'Partner ID', sortOrder: 1, options: { autoLink } });
    await gh.gatehouse.external.registry.create({
      alias: 'down',
      displayName: 'Down IdP',
      issuer: `http://127.0.0.1:${await freePort()}`,
      clientId: 'gatehouse',
      clientSecret: 'never-used-secret',
      sortOrder: 2,
    });
    config = await registerTestApp(gh, { postLogoutRedirectUris: [POST_LOGOUT_URI] });
  });
  afterAll(async () => {
    await gh?.stop();
    await corp?.close();
    await partner?.close();
    await db?.drop();
  });

  const toApp = (url: string) => url.startsWith(TEST_REDIRECT_URI);
  const isAuthenticated = async (browser: Browser) =>
    (await new ApiClient(browser, gh.issuer).get('/api/auth/is-authenticated')).json.isAuthenticated;

  /** `/auth` goes to the upstream by itself; signs in there and completes at the application. */
  async function signInAutomatically(browser: Browser) {
    const started = await startAuthorization(browser, config);
    expect(started.page.url.startsWith(`${corp.issuer}/interaction/`), started.page.url).toBe(true);
    const back = await browser.follow(await corp.signIn(browser, started.page, 'u-ann'), toApp);
    return started.finish(back);
  }

  function expectLoginPage(page: Page) {
    expect(page.url.startsWith(`${gh.issuer}/interaction/`), page.url).toBe(true);
    expect(page.status).toBe(200);
    expect(page.body).toContain('name="password"');
    expect(textOf(page)).toContain('Sign in with Corp ID');
  }

  /** The login page is a way on, not a dead end: the Corp ID button signs in (no loop). */
  async function pressCorp(browser: Browser, started: StartedSignIn) {
    // Straight back when the upstream session outlived ours, through its login form when not.
    return started.finish(await pressUpstreamButton(browser, started.page, corp, 'u-ann'));
  }

  it('sends /auth straight to the autoRedirect provider', async () => {
    const browser = new Browser();
    const first = await browser.request((await startUrl()).toString());
    const interaction = await browser.request(first.location ?? '');
    expect(interaction.status).toBe(303);
    expect(interaction.location).toMatch(new RegExp(`^${corp.issuer}/auth\\?`));

    const tokens = await signInAutomatically(new Browser());
    expect(tokens.claims()).toMatchObject({ email: 'ann@example.com', amr: ['fed'] });
  });

  it('shows the login page, not the upstream, right after an RP-initiated logout', async () => {
    const browser = new Browser();
    const tokens = await signInAutomatically(browser);
    const endSession = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token ?? '',
      post_logout_redirect_uri: POST_LOGOUT_URI,
      state: 'bye',
    });
    const confirm = await browser.visit(endSession.toString());
    const done = await browser.follow(
      await browser.submit(confirm, 'form[id="op.logoutForm"]', {}, { name: 'logout', value: 'yes' }),
      (url) => url.startsWith(POST_LOGOUT_URI),
    );
    expect(done.location).toBe(`${POST_LOGOUT_URI}?state=bye`);
    expect(await isAuthenticated(browser)).toBe(false);
    expect(await corp.hasSession(browser)).toBe(true);

    const next = await startAuthorization(browser, config);
    expectLoginPage(next.page);
    expect(await isAuthenticated(browser)).toBe(false);
    expect((await pressCorp(browser, next)).claims()).toMatchObject({ email: 'ann@example.com' });
  });

  it('shows the login page right after /api/auth/logout, even when the application sends idp_hint', async () => {
    const browser = new Browser();
    await signInAutomatically(browser);
    const out = await new ApiClient(browser, gh.issuer).post('/api/auth/logout');
    expect(out.status).toBe(200);
    expect(out.json).toEqual({ signOutRedirectUrl: null });

    expectLoginPage((await startAuthorization(browser, config)).page);
    expectLoginPage((await startAuthorization(browser, config, { idp_hint: 'corp' })).page);
  });

  it('does not auto-redirect an account switch (prompt=login naming another user)', async () => {
    const browser = new Browser();
    await signInAutomatically(browser);
    const other = await startAuthorization(browser, config, {
      prompt: 'login',
      login_hint: 'bob@example.com',
    });
    expectLoginPage(other.page);
    expect(other.page.body).toContain('value="bob@example.com"');

    // The same user asking to sign in again still goes upstream, and the upstream asks again too:
    // prompt=login travels with the request, so its open session does not answer for the user.
    const same = await startAuthorization(browser, config, {
      prompt: 'login',
      login_hint: 'ann@example.com',
    });
    expect(same.page.body, 'the upstream login form').toContain('name="login"');
    const done = await browser.follow(await corp.signIn(browser, same.page, 'u-ann'), toApp);
    expect((await same.finish(done)).claims()).toMatchObject({ email: 'ann@example.com', amr: ['fed'] });
  });

  it('goes to the provider named by idp_hint or kc_idp_hint', async () => {
    for (const hint of ['idp_hint', 'kc_idp_hint']) {
      const browser = new Browser();
      const started = await startAuthorization(browser, config, { [hint]: 'partner' });
      expect(started.page.url.startsWith(`${partner.issuer}/interaction/`), hint).toBe(true);
      const back = await browser.follow(await partner.signIn(browser, started.page, 'u-ann'), toApp);
      expect((await started.finish(back)).claims()).toMatchObject({ email: 'ann@example.com' });
    }
    // A hint naming no provider shows the choices rather than guessing.
    expectLoginPage((await startAuthorization(new Browser(), config, { idp_hint: 'nobody' })).page);
  });

  it('shows the login page with a message when the hinted provider is unreachable', async () => {
    const browser = new Browser();
    const started = await startAuthorization(browser, config, { idp_hint: 'down' });
    expectLoginPage(started.page);
    expect(textOf(started.page)).toContain('Signing in with Down IdP is not available right now');
    expect((await pressCorp(browser, started)).claims()).toMatchObject({ email: 'ann@example.com' });
  });

  it('shows the login page with a message after an upstream error, and does not go round again', async () => {
    const browser = new Browser();
    const started = await startAuthorization(browser, config);
    const abort = parse(started.page.body).querySelector('a[href*="/abort"]')?.getAttribute('href');
    expect(abort, 'the upstream login page offers to abort').toBeTruthy();
    const errorBack = await browser.visit(new URL(abort ?? '', started.page.url).toString(), toApp);
    expect(errorBack.url).toMatch(/\/external\/corp\/callback\?.*error=access_denied/);
    expect(errorBack.status).toBe(400);
    expect(textOf(errorBack)).toContain('Signing in with Corp ID did not complete');
    expect(errorBack.body).toContain('name="password"');

    // Reloading the interaction, or the application starting again, shows the choices too.
    const interactionUrl = errorBack.url.replace(/\/external\/corp\/callback\?.*$/, '');
    expectLoginPage(await browser.visit(interactionUrl));
    expectLoginPage((await startAuthorization(browser, config)).page);
  });

  async function startUrl(): Promise<URL> {
    return oidc.buildAuthorizationUrl(config, {
      redirect_uri: TEST_REDIRECT_URI,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
  }
});
