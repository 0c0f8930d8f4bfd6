import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, type Page } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { type BackchannelReceiver, startBackchannelReceiver } from '../support/relying-party.ts';
import { registerTestApp, startAuthorization, TEST_REDIRECT_URI } from '../support/sign-in-flow.ts';

const POST_LOGOUT_URI = 'http://127.0.0.1:9/signed-out';

describe('authorization code flow on PostgreSQL', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let receiver: BackchannelReceiver;
  let config: oidc.Configuration;
  let userId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    receiver = await startBackchannelReceiver();
    const user = await gh.gatehouse.userManager.createUser({
      email: 'editor@example.com',
      name: 'Eddie Editor',
      password: 'correct horse battery',
      groups: ['editors'],
    });
    userId = user.id;
    config = await registerTestApp(gh, {
      clientId: 'webapp',
      name: 'Web App',
      public: false,
      postLogoutRedirectUris: [POST_LOGOUT_URI],
      backchannelLogoutUri: receiver.url,
      grants: ['authorization_code', 'refresh_token'],
      skipConsent: false,
    });
  });

  afterAll(async () => {
    await gh?.stop();
    await receiver?.close();
    await db?.drop();
  });

  async function signIn(
    browser: Browser,
  ): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers> {
    const started = await startAuthorization(browser, config);
    const loginPage = started.page;
    expect(loginPage.status, loginPage.body).toBe(200);
    expect(loginPage.body).toContain('Sign in');
    let page: Page = await browser.submit(loginPage, 'form[action$="/login"]', {
      email: 'editor@example.com',
      password: 'correct horse battery',
    });
    page = await browser.follow(page, (url) => url.startsWith(TEST_REDIRECT_URI));
    if (!page.location) {
      expect(page.body).toContain('Allow access?');
      page = await browser.submit(page, 'form[action$="/consent"]', {}, { name: 'decision', value: 'allow' });
      page = await browser.follow(page, (url) => url.startsWith(TEST_REDIRECT_URI));
    }
    // finish() expects the redirect to carry a code, and redeems it.
    return started.finish(page);
  }

  it('signs a user in, serves userinfo, refreshes with rotation, introspects, revokes and logs out', async () => {
    const browser = new Browser();
    const tokens = await signIn(browser);
    const claims = tokens.claims();
    expect(claims?.sub).toBe(userId);
    expect(claims?.email).toBe('editor@example.com');
    expect(claims?.name).toBe('Eddie Editor');
    expect(claims?.groups).toEqual(['editors']);
    expect(claims?.amr).toEqual(['pwd']);
    expect(claims?.acr).toBe('1');
    expect(tokens.refresh_token).toBeTruthy();

    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, userId);
    expect(userinfo).toMatchObject({ sub: userId, email: 'editor@example.com', groups: ['editors'] });

    // Rotation: the refresh gives a new refresh token; the old one, presented again, kills the grant.
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token ?? '');
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    const active = await oidc.tokenIntrospection(config, refreshed.access_token);
    expect(active).toMatchObject({ active: true, sub: userId, client_id: 'webapp' });

    await oidc.tokenRevocation(config, refreshed.access_token);
    expect((await oidc.tokenIntrospection(config, refreshed.access_token)).active).toBe(false);

    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token ?? '')).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token ?? '')).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('ends the session with RP-initiated logout and tells the application over the back channel', async () => {
    const browser = new Browser();
    const tokens = await signIn(browser);
    const sid = tokens.claims()?.sid;
    expect(sid).toBeTruthy();

    const endSession = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token ?? '',
      post_logout_redirect_uri: POST_LOGOUT_URI,
      state: 'bye-123',
    });
    // A valid id_token_hint for this session: no question, a form that posts itself (as a browser would).
    const confirm = await browser.visit(endSession.toString());
    expect(confirm.body).not.toContain('Sign out?');
    expect(confirm.body).toContain('data-autosubmit');
    const done = await browser.follow(await browser.submit(confirm, 'form[data-autosubmit]'), (url) =>
      url.startsWith(POST_LOGOUT_URI),
    );
    expect(done.location).toBe(`${POST_LOGOUT_URI}?state=bye-123`);

    const logoutToken = await receiver.waitForToken();
    const payload = JSON.parse(Buffer.from(logoutToken.split('.')[1] ?? '', 'base64url').toString());
    expect(payload).toMatchObject({ iss: gh.issuer, aud: 'webapp', sub: userId, sid });
    expect(payload.events).toHaveProperty(['http://schemas.openid.net/event/backchannel-logout']);

    // The Gatehouse session is gone: a new authorization asks for the password again.
    const again = await startAuthorization(browser, config);
    expect(again.page.body).toContain('name="password"');
  });
});
