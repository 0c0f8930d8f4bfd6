import { mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { generate } from 'otplib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditContext, expectPageFits, launchChromium } from '../support/chromium.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { authorizationRequest } from '../support/relying-party.ts';
import { registerTestApp } from '../support/sign-in-flow.ts';
import { linkIn, type SmtpSink, startSmtpSink } from '../support/smtp-sink.ts';
import { startUpstream, type UpstreamOp } from '../support/upstream-op.ts';

/** Where the console screenshots go (desktop and phone width), for a person to look at. */
const SCREENSHOTS = join(tmpdir(), 'gatehouse-admin-console-screenshots');
const ADMIN = { email: 'root@example.com', name: 'Rae Root', password: 'first admin passphrase' };
const USER = {
  email: 'new.colleague@example.com',
  name: 'Nia Colleague',
  password: 'colleague passphrase 7',
};

describe('an administrator sets Gatehouse up in the browser, and a colleague joins', () => {
  let db: TestDatabase;
  let sink: SmtpSink;
  let gh: TestGatehouse;
  let upstream: UpstreamOp;
  let chromium: Browser;
  let adminContext: BrowserContext;
  let userContext: BrowserContext;
  let admin: Page;
  let user: Page;
  let userId = '';
  let totpSecret = '';
  /** The 30-second step of the code used to turn two-factor on: a code is accepted once. */
  let enrolledStep = 0;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    console.log(`admin console screenshots: ${SCREENSHOTS}`);
    [db, sink, chromium] = await Promise.all([createTestDatabase(), startSmtpSink(), launchChromium()]);
    gh = await startGatehouse({ databaseUrl: db.url, env: { SMTP_URL: sink.url } });
    upstream = await startUpstream({
      gatehouseIssuer: gh.issuer,
      alias: 'corp',
      users: [{ sub: 'corp-nia', email: USER.email, email_verified: true, name: USER.name }],
    });
    // axe-core is injected into the admin's pages, which their content security policy would refuse.
    adminContext = await auditContext(chromium);
    userContext = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    admin = await adminContext.newPage();
    user = await userContext.newPage();
  });
  afterAll(async () => {
    await chromium?.close();
    await upstream?.close();
    await gh?.stop();
    await sink?.close();
    await db?.drop();
  });

  /**
   * A screenshot at desktop and phone width for a person to look at; then the checks every page
   * gets (no horizontal scrolling at 320, 390 and 1280 px, axe-core in light and dark mode).
   */
  async function shoot(page: Page, name: string): Promise<void> {
    for (const [suffix, width] of [
      ['desktop', 1280],
      ['phone', 390],
    ] as const) {
      await page.setViewportSize({ width, height: 900 });
      const path = join(SCREENSHOTS, `${name}-${suffix}.png`);
      await page.screenshot({ path, fullPage: true });
      expect(statSync(path).size).toBeGreaterThan(5_000);
      // Nothing wider than the screen, on a phone too.
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    await expectPageFits(page, `console page ${name}`);
  }

  async function signIn(page: Page, credentials: { email: string; password: string }): Promise<void> {
    await page.getByLabel('Email address').fill(credentials.email);
    await page.getByLabel('Password', { exact: true }).fill(credentials.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  it('first-run link → the first admin → the console, through the console’s own sign-in', async () => {
    const link = await gh.gatehouse.setup.setupLinkIfNeeded();
    await admin.goto(link ?? '');
    await admin.getByLabel('Email address').fill(ADMIN.email);
    await admin.getByLabel('Name').fill(ADMIN.name);
    await admin.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await admin.getByRole('button', { name: /create/i }).click();
    await admin.getByRole('link', { name: 'Open the admin console' }).click();
    await signIn(admin, ADMIN);
    await admin.getByRole('heading', { name: 'Users' }).waitFor();
    expect(new URL(admin.url()).pathname).toBe('/admin/users');
    await shoot(admin, 'users');
  }, 240_000);

  it('invites a colleague, who accepts from the emailed link, turns two-factor on and sees the session', async () => {
    await admin.getByRole('link', { name: 'Add a user' }).click();
    await admin.getByLabel('Email address').fill(USER.email);
    await admin.getByLabel('Name').fill(USER.name);
    await admin.getByLabel('Groups').fill('staff');
    await shoot(admin, 'user-new');
    await admin.getByRole('button', { name: 'Add user' }).click();
    await admin.getByRole('status').filter({ hasText: 'invitation has been sent' }).waitFor();
    userId = admin.url().split('/').at(-1)?.split('?')[0] ?? '';

    const invite = linkIn(await sink.waitFor(USER.email), `${gh.issuer}/invite?token=`);
    await user.goto(invite);
    await user.getByLabel('New password', { exact: true }).fill(USER.password);
    await user.getByLabel('Confirm new password').fill(USER.password);
    await user.getByRole('button', { name: 'Set password and continue' }).click();
    await user.getByRole('heading', { name: 'You are all set' }).waitFor();

    await user.goto(`${gh.issuer}/account/two-factor/authenticator`);
    totpSecret = (await user.getByTestId('totp-secret').getAttribute('data-secret')) ?? '';
    enrolledStep = Math.floor(Date.now() / 30_000);
    await user.getByLabel('Code from the app').fill(await generate({ secret: totpSecret }));
    await user.getByRole('button', { name: 'Turn on' }).click();
    await user.goto(`${gh.issuer}/account/sessions`);
    await expect(user.getByText('This device').count()).resolves.toBe(1);
    await expect(user.getByText('127.0.0.1').count()).resolves.toBeGreaterThan(0);

    await admin.reload();
    await expect(admin.getByText('Not set up').count()).resolves.toBe(0);
    await shoot(admin, 'user-detail');
  }, 240_000);

  it('adds the upstream provider, tests it, runs the dry run; the colleague links it', async () => {
    await admin.goto(`${gh.issuer}/admin/providers/new`);
    await admin.getByLabel('Alias').fill('corp');
    await admin.getByLabel('Button text (display name)').fill('Corp ID');
    await admin.getByLabel('Issuer URL').fill(upstream.issuer);
    await admin.getByLabel('Client id at the upstream').fill(upstream.clientId);
    await admin.getByLabel('Client secret').fill(upstream.clientSecret);
    await admin
      .getByLabel('What a sign-in with an unknown upstream identity may do')
      .selectOption('link-and-create');
    await admin.getByRole('button', { name: 'Add provider' }).click();
    await admin.getByRole('heading', { name: 'Register these at the upstream' }).waitFor();
    await expect(admin.getByText(`${gh.issuer}/external/corp/callback`).count()).resolves.toBe(1);

    await admin.getByRole('button', { name: 'Test the connection' }).click();
    const report = admin.locator('#discovery-report');
    await expect(report.textContent()).resolves.toContain('Discovery works.');
    await expect(report.textContent()).resolves.toContain(`${upstream.issuer}/session/end`);
    await expect(report.textContent()).resolves.toContain('RS256');

    await admin.getByLabel('Upstream subject (sub)').fill('corp-nia');
    await admin.getByLabel('Email', { exact: true }).fill(USER.email);
    await admin.getByLabel('The upstream says the email is verified', { exact: true }).check();
    await admin.getByRole('button', { name: 'Run the dry run' }).click();
    await expect(admin.locator('#dry-run-result').textContent()).resolves.toContain(`Links to ${USER.email}`);
    await admin.getByLabel('Upstream subject (sub)').fill('corp-stranger');
    await admin.getByLabel('Email', { exact: true }).fill('stranger@elsewhere.example');
    await admin.getByLabel('The upstream says the email is verified', { exact: true }).uncheck();
    await admin.getByRole('button', { name: 'Run the dry run' }).click();
    await expect(admin.locator('#dry-run-result').textContent()).resolves.toContain(
      'Refused (unverified_email)',
    );
    expect(await gh.gatehouse.userManager.findByEmail('stranger@elsewhere.example')).toBeUndefined();
    await shoot(admin, 'provider');

    // The session opened before two-factor was turned on has no second factor, and linking needs
    // one: the colleague signs in again with the password and a fresh code from the app.
    await userContext.clearCookies();
    await user.goto(`${gh.issuer}/account/linked-logins`);
    await signIn(user, USER);
    while (Math.floor(Date.now() / 30_000) === enrolledStep) await user.waitForTimeout(1_000);
    await user.getByLabel('Code', { exact: true }).fill(await generate({ secret: totpSecret }));
    await user.getByRole('button', { name: 'Verify' }).click();
    await user.getByRole('button', { name: 'Link Corp ID' }).click();
    await user.locator('input[name="login"]').fill('corp-nia');
    await user.locator('input[name="password"]').fill('any');
    await user.locator('button[type="submit"]').first().click();
    await user.getByRole('heading', { name: 'Corp ID is linked' }).waitFor();
    await user.goto(`${gh.issuer}/account/linked-logins`);
    await user.getByRole('button', { name: 'Unlink Corp ID' }).waitFor();
    await admin.goto(`${gh.issuer}/admin/users/${userId}`);
    await expect(admin.getByText('corp-nia').count()).resolves.toBe(1);
  }, 240_000);

  it('ends the colleague’s sessions and disables them; their application tokens stop working', async () => {
    // Chromium refuses the tests' usual port-9 redirect URI; this one is answered by the route below.
    const redirectUri = 'https://colleague-app.example/callback';
    const config = await registerTestApp(gh, { clientId: 'colleague-app', redirectUris: [redirectUri] });
    const request = await authorizationRequest(config, redirectUri);
    // Nothing answers at the application: the browser's request for it carries the code.
    const callback = user.waitForRequest((r) => r.url().startsWith(redirectUri));
    await user.goto(request.url.toString()).catch(() => undefined);
    const tokens = await oidc.authorizationCodeGrant(config, new URL((await callback).url()), {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    const claims = tokens.claims();
    expect(claims?.sub).toBe(userId);
    await expect(oidc.fetchUserInfo(config, tokens.access_token, userId)).resolves.toMatchObject({
      sub: userId,
    });

    await admin.goto(`${gh.issuer}/admin/users/${userId}`);
    await admin.getByRole('button', { name: 'End all sessions' }).click();
    await admin.getByRole('status').filter({ hasText: 'sessions have ended' }).waitFor();
    await admin.getByRole('button', { name: 'Disable' }).click();
    await admin.getByRole('status').filter({ hasText: 'The user is disabled' }).waitFor();
    await expect(oidc.fetchUserInfo(config, tokens.access_token, userId)).rejects.toThrow();
    await user.goto(`${gh.issuer}/account`);
    await expect(user.getByRole('heading', { name: 'Sign in' }).count()).resolves.toBe(1);
  }, 240_000);

  it('shows every console page at desktop and phone width', async () => {
    for (const [name, path] of [
      ['applications', '/admin/applications'],
      ['application-new', '/admin/applications/new'],
      ['application', '/admin/applications/colleague-app'],
      ['providers', '/admin/providers'],
      ['provider-new', '/admin/providers/new'],
      ['keys', '/admin/keys'],
      ['audit', '/admin/audit'],
      ['outbox', '/admin/outbox'],
      ['users-search', '/admin/users?q=colleague'],
    ] as const) {
      await admin.goto(`${gh.issuer}${path}`);
      await admin.locator('#page-title').waitFor();
      await shoot(admin, name);
    }
    await admin.goto(`${gh.issuer}/admin/keys`);
    await admin.getByRole('button', { name: 'Rotate signing keys' }).click();
    await admin.getByRole('status').filter({ hasText: 'New signing keys' }).waitFor();
    await admin.goto(`${gh.issuer}/admin/audit?type=AdminAction`);
    await expect(admin.getByText('keys.rotate').count()).resolves.toBeGreaterThan(0);
  }, 400_000);
});
