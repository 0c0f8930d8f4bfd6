import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { type BackchannelReceiver, startBackchannelReceiver } from '../support/relying-party.ts';

const USER = { email: 'leaver@example.com', password: 'correct horse battery', name: 'Lee Leaver' };
const insecure = { [oauth.allowInsecureRequests]: true };

/**
 * The applications' web server: their callback, post-logout page and front-channel logout page.
 * Records each visit (the front-channel one carries iss and sid) and answers 200.
 */
async function startApp(): Promise<{ base: string; visits: URL[]; close(): Promise<void> }> {
  const visits: URL[] = [];
  const server: Server = createServer((req, res) => {
    visits.push(new URL(req.url ?? '/', 'http://app'));
    res.writeHead(200, { 'content-type': 'text/html' }).end('<p>the application</p>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    visits,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/**
 * One-click sign-out in headless Chromium: an application sends a valid id_token_hint, no question
 * is asked, a front-channel application is loaded in an iframe and a back-channel application gets
 * its logout token, and the browser lands on the post-logout URI.
 */
describe('signing out everywhere with one click', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let browser: Browser;
  let page: Page;
  let as: oauth.AuthorizationServer;
  let app: Awaited<ReturnType<typeof startApp>>;
  let APP: string;
  let back: BackchannelReceiver;

  beforeAll(async () => {
    [db, browser, app, back] = await Promise.all([
      createTestDatabase(),
      chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--no-first-run',
          '--disable-background-networking',
        ],
      }),
      startApp(),
      startBackchannelReceiver(),
    ]);
    APP = app.base;
    gh = await startGatehouse({ databaseUrl: db.url });
    await gh.gatehouse.userManager.createUser(USER);
    const common = {
      public: true,
      redirectUris: [`${APP}/callback`],
      postLogoutRedirectUris: [`${APP}/bye`],
      grants: ['authorization_code' as const],
      scopes: [],
      skipConsent: true,
    };
    await gh.gatehouse.clients.create({
      ...common,
      clientId: 'front-app',
      frontchannelLogoutUri: `${APP}/frontchannel-logout`,
    });
    await gh.gatehouse.clients.create({ ...common, clientId: 'back-app', backchannelLogoutUri: back.url });
    const issuer = new URL(gh.issuer);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
    page = await browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await back?.close();
    await gh?.stop();
    await db?.drop();
  });

  async function signInTo(clientId: string, withPassword: boolean): Promise<string> {
    const client = { client_id: clientId };
    const verifier = oauth.generateRandomCodeVerifier();
    const url = new URL(as.authorization_endpoint ?? '');
    url.search = new URLSearchParams({
      client_id: clientId,
      redirect_uri: `${APP}/callback`,
      response_type: 'code',
      scope: 'openid',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }).toString();
    await page.goto(url.toString());
    if (withPassword) {
      await page.getByLabel('Email address').fill(USER.email);
      await page.getByLabel('Password', { exact: true }).fill(USER.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
    }
    await page.waitForURL(`${APP}/callback?**`);
    const params = oauth.validateAuthResponse(as, client, new URL(page.url()), oauth.skipStateCheck);
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.None(),
      params,
      `${APP}/callback`,
      verifier,
      insecure,
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, {
      requireIdToken: true,
    });
    return tokens.id_token ?? '';
  }

  it('needs no click with a valid id_token_hint and reaches the front- and back-channel applications', async () => {
    const frontToken = await signInTo('front-app', true);
    const backToken = await signInTo('back-app', false);
    const endSession = new URL(as.end_session_endpoint ?? '');
    endSession.search = new URLSearchParams({
      id_token_hint: frontToken,
      post_logout_redirect_uri: `${APP}/bye`,
      state: 'see-you',
    }).toString();

    await page.goto(endSession.toString());
    await page.waitForURL(`${APP}/bye?state=see-you`);

    const frontChannel = app.visits.filter((v) => v.pathname === '/frontchannel-logout');
    expect(frontChannel).toHaveLength(1);
    expect(frontChannel[0]?.searchParams.get('iss')).toBe(gh.issuer);
    expect(frontChannel[0]?.searchParams.get('sid')).toBe(decodeJwt(frontToken).sid);
    // The application was told before the browser went on to the post-logout page.
    const order = app.visits.map((v) => v.pathname).filter((p) => p !== '/favicon.ico');
    expect(order.slice(-2)).toEqual(['/frontchannel-logout', '/bye']);
    const logoutToken = decodeJwt(await back.waitForToken());
    expect(logoutToken.sid).toBe(decodeJwt(backToken).sid);
    // Signed out: the next sign-in asks for the password again.
    await signInTo('front-app', true);
  });

  it('still asks when the hint is from a session that has ended', async () => {
    const oldToken = await signInTo('back-app', false);
    await page.goto(`${gh.issuer}/session/end?id_token_hint=${oldToken}`);
    await page.waitForURL(`${gh.issuer}/session/end/success**`);
    await signInTo('back-app', true);
    await page.goto(`${gh.issuer}/session/end?id_token_hint=${oldToken}`);
    await expect(page.getByRole('heading', { name: 'Sign out?' }).isVisible()).resolves.toBe(true);
  });
});
