import { mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oauth from 'oauth4webapi';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_CODE_GRANT } from '../../src/oidc/client-settings.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

const SCREENSHOTS = join(tmpdir(), 'gatehouse-screenshots');
const USER = { email: 'tv.viewer@example.com', password: 'correct horse battery', name: 'Tess Viewer' };
const insecure = { [oauth.allowInsecureRequests]: true };

/**
 * A command-line tool signs in with the device authorization grant (RFC 8628, through oauth4webapi)
 * while a person types its code into Gatehouse's page in headless Chromium.
 */
describe('the device authorization grant', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let browser: Browser;
  let page: Page;
  let as: oauth.AuthorizationServer;
  const client: oauth.Client = { client_id: 'tv-app' };

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    [db, browser] = await Promise.all([
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
    ]);
    gh = await startGatehouse({ databaseUrl: db.url });
    await gh.gatehouse.userManager.createUser({ ...USER, emailVerified: true });
    await gh.gatehouse.clients.create({
      clientId: 'tv-app',
      name: 'Living-room TV',
      public: true,
      redirectUris: [],
      postLogoutRedirectUris: [],
      grants: [DEVICE_CODE_GRANT, 'refresh_token'],
      scopes: [],
      skipConsent: true,
    });
    const issuer = new URL(gh.issuer);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
    page = await browser.newPage({ viewport: { width: 800, height: 900 } });
  });
  afterAll(async () => {
    await browser?.close();
    await gh?.stop();
    await db?.drop();
  });

  async function startDevice() {
    const response = await oauth.deviceAuthorizationRequest(
      as,
      client,
      oauth.None(),
      new URLSearchParams({ scope: 'openid email offline_access' }),
      insecure,
    );
    return oauth.processDeviceAuthorizationResponse(as, client, response);
  }

  function poll(deviceCode: string) {
    return oauth
      .deviceCodeGrantRequest(as, client, oauth.None(), deviceCode, insecure)
      .then((r) => oauth.processDeviceCodeResponse(as, client, r));
  }

  it('is offered only to clients that opted in', async () => {
    expect(as.device_authorization_endpoint).toBe(`${gh.issuer}/device/auth`);
    const other = { client_id: 'web-only' };
    await gh.gatehouse.clients.create({
      clientId: 'web-only',
      public: true,
      redirectUris: ['http://127.0.0.1:9/cb'],
      postLogoutRedirectUris: [],
      grants: ['authorization_code'],
      scopes: [],
      skipConsent: true,
    });
    const refused = await oauth.deviceAuthorizationRequest(
      as,
      other,
      oauth.None(),
      new URLSearchParams(),
      insecure,
    );
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({
      error: 'invalid_request',
      error_description: `${DEVICE_CODE_GRANT} is not allowed for this client`,
    });
  });

  it('signs the tool in once the person enters the code, signs in and confirms', async () => {
    const device = await startDevice();
    expect(device.user_code).toMatch(/^[B-DF-HJ-NP-TV-XZ]{4}-[B-DF-HJ-NP-TV-XZ]{4}$/);
    await expect(poll(device.device_code)).rejects.toMatchObject({ error: 'authorization_pending' });

    await page.goto(device.verification_uri);
    await expect(page.title()).resolves.toBe('Connect a device · Gatehouse');
    await page.getByLabel('Code').fill('BCDF-GHJK');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('That code is not valid');
    await page.screenshot({ path: join(SCREENSHOTS, 'device-wrong-code.png'), fullPage: true });

    await page.getByLabel('Code').fill(device.user_code.toLowerCase());
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Connect Living-room TV?' }).waitFor();
    await expect(page.locator('code.user-code').textContent()).resolves.toBe(device.user_code);
    await page.screenshot({ path: join(SCREENSHOTS, 'device-confirm.png'), fullPage: true });
    expect(statSync(join(SCREENSHOTS, 'device-confirm.png')).size).toBeGreaterThan(5_000);
    await page.getByRole('button', { name: 'Yes, connect' }).click();

    await page.getByLabel('Email address').fill(USER.email);
    await page.getByLabel('Password').fill(USER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Device connected' }).waitFor();
    await expect(page.getByRole('status').textContent()).resolves.toContain('Living-room TV is signed in');

    const tokens = await poll(device.device_code);
    expect(oauth.getValidatedIdTokenClaims(tokens)?.email).toBe(USER.email);
    expect(tokens.refresh_token).toBeTruthy();
    // The code was used: a second redemption is refused.
    await expect(poll(device.device_code)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('tells the tool the person cancelled', async () => {
    const device = await startDevice();
    await page.goto(`${device.verification_uri}`);
    await page.getByLabel('Code').fill(device.user_code);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('cancelled');
    await expect(poll(device.device_code)).rejects.toMatchObject({ error: 'access_denied' });
  });
});
