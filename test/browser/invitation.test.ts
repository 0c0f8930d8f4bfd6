import { mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { authorizationRequest } from '../support/relying-party.ts';
import { registerTestApp, TEST_REDIRECT_URI } from '../support/sign-in-flow.ts';
import { linkIn, type SmtpSink, startSmtpSink } from '../support/smtp-sink.ts';

/** Where the screenshots go, for a person to look at after a run. */
const SCREENSHOTS = join(tmpdir(), 'gatehouse-screenshots');

describe('the invitation page in headless Chromium', () => {
  let db: TestDatabase;
  let sink: SmtpSink;
  let gh: TestGatehouse;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    [db, sink, browser] = await Promise.all([
      createTestDatabase(),
      startSmtpSink(),
      chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      }),
    ]);
    gh = await startGatehouse({ databaseUrl: db.url, env: { SMTP_URL: sink.url } });
    page = await browser.newPage({ viewport: { width: 800, height: 900 } });
  });
  afterAll(async () => {
    await browser?.close();
    await gh?.stop();
    await sink?.close();
    await db?.drop();
  });

  async function screenshot(name: string): Promise<void> {
    const path = join(SCREENSHOTS, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    expect(statSync(path).size).toBeGreaterThan(5_000);
  }

  it('opens the emailed link, refuses a short password, accepts a good one and says so', async () => {
    const email = 'chrome@example.com';
    await gh.gatehouse.invitations.invite({ email, name: 'Chris Chromium' });
    const link = linkIn(await sink.waitFor(email), `${gh.issuer}/invite?token=`);

    await page.goto(link);
    await expect(page.title()).resolves.toBe('Choose your password · Gatehouse');
    await screenshot('invite-form');

    await page.getByLabel('New password', { exact: true }).fill('too short');
    await page.getByLabel('Confirm new password').fill('too short');
    await page.getByRole('button', { name: 'Set password and continue' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('at least 10 characters');
    await screenshot('invite-refused');

    await page.getByLabel('New password', { exact: true }).fill('window garden copper');
    await page.getByLabel('Confirm new password').fill('window garden copper');
    await page.getByRole('button', { name: 'Set password and continue' }).click();
    await page.getByRole('heading', { name: 'You are all set' }).waitFor();
    await expect(page.getByRole('status').textContent()).resolves.toContain(`signed in as ${email}`);
    await screenshot('invite-done');

    await page.getByRole('link', { name: 'Go to your account' }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
  });

  it('shows the sign-in page with its "Forgot your password?" link', async () => {
    const config = await registerTestApp(gh, { clientId: 'spa' });
    const request = await authorizationRequest(config, TEST_REDIRECT_URI);
    const signInPage = await browser.newPage({ viewport: { width: 800, height: 900 } });
    page = signInPage;
    await page.goto(request.url.toString());
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await screenshot('login');

    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
  });
});
