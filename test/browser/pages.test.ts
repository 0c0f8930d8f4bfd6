import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as oidc from 'openid-client';
import { generate } from 'otplib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/users/user.ts';
import { auditContext, axeViolations, expectPageFits, launchChromium } from '../support/chromium.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { authorizationRequest } from '../support/relying-party.ts';
import { registerTestApp } from '../support/sign-in-flow.ts';
import { linkIn, type SmtpSink, startSmtpSink } from '../support/smtp-sink.ts';

const BOTH = { email: 'both.methods@example.com', name: 'Bo Both', password: 'two methods are better' };
const ENROL = { email: 'must.enrol@example.com', password: 'enrol me at sign-in', groups: ['secure'] };

const codeIn = (text: string) => /\b(\d{6})\b/.exec(text)?.[1] ?? '';

/**
 * Every page, as people see it in Chromium: usable from 320 px up, without axe-core violations in
 * light and dark mode; and the two-factor step for someone with both an app and email codes.
 */
// axe-core takes a few seconds a page on this machine, twice a page (light and dark).
describe('the pages in headless Chromium', { timeout: 240_000 }, () => {
  let db: TestDatabase;
  let sink: SmtpSink;
  let gh: TestGatehouse;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let config: oidc.Configuration;
  /** The application: a real server answering its callback (a route in the browser would not see a redirect). */
  let app: Server;
  let APP_CALLBACK: string;

  beforeAll(async () => {
    [db, sink, browser] = await Promise.all([createTestDatabase(), startSmtpSink(), launchChromium()]);
    app = createServer((_req, res) => res.end('back at the application'));
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    APP_CALLBACK = `http://127.0.0.1:${(app.address() as AddressInfo).port}/callback`;
    gh = await startGatehouse({
      databaseUrl: db.url,
      env: { SMTP_URL: sink.url, TWO_FACTOR_REQUIRED_GROUPS: 'secure' },
    });
    config = await registerTestApp(gh, {
      clientId: 'pages',
      name: 'Pages App',
      redirectUris: [APP_CALLBACK],
    });
    context = await auditContext(browser);
    page = await context.newPage();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    app?.close();
    await gh?.stop();
    await sink?.close();
    await db?.drop();
  });

  /** A fresh sign-in from the application, as someone not signed in yet. */
  async function startSignIn(): Promise<void> {
    await context.clearCookies();
    const request = await authorizationRequest(config, APP_CALLBACK);
    await page.goto(request.url.toString());
  }

  async function withBothMethods(): Promise<User> {
    const { twoFactor, userManager } = gh.gatehouse;
    const user = await userManager.createUser(BOTH);
    const enrolment = await twoFactor.beginTotp(user);
    await twoFactor.confirmTotp(user, await generate({ secret: enrolment.secret }));
    await twoFactor.beginEmail(user);
    await twoFactor.confirmEmail(user, codeIn((await sink.waitFor(BOTH.email)).text));
    return user;
  }

  it('finds what the checks look for (a page made to fail them)', async () => {
    const broken = await context.newPage();
    await broken.setContent(
      '<html><body><div style="width:400px">wide</div><img src="/x.png"></body></html>',
    );
    await expect(expectPageFits(broken, 'broken page')).rejects.toThrow(/broken page at 320 px/);
    await broken.setViewportSize({ width: 1280, height: 800 });
    expect((await axeViolations(broken)).join()).toMatch(/image-alt/);
    await broken.close();
  });

  it('fits the first-run page, shown before anyone has an account', async () => {
    const setup = await gh.gatehouse.setup.setupLinkIfNeeded();
    await page.goto(setup ?? 'about:blank');
    await expectPageFits(page, 'first administrator');
  });

  it('keeps "Code sent by email" chosen after "Email me a code", and signs in with the emailed code', async () => {
    await withBothMethods();
    await startSignIn();
    await expectPageFits(page, 'sign-in page');
    await page.getByLabel('Email address').fill(BOTH.email);
    await page.getByLabel('Password', { exact: true }).fill('not the password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(page.getByLabel('Email address').getAttribute('aria-invalid')).resolves.toBe('true');
    await expectPageFits(page, 'sign-in page with an error');

    await page.getByLabel('Password', { exact: true }).fill(BOTH.password);
    await page.getByRole('button', { name: 'Show' }).click();
    await expect(page.getByLabel('Password', { exact: true }).getAttribute('type')).resolves.toBe('text');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Confirm it is you' }).waitFor();
    await expect(page.getByLabel('Authenticator app').isChecked()).resolves.toBe(true);
    await expectPageFits(page, 'two-factor step');

    sink.messages.length = 0;
    await page.getByRole('button', { name: 'Email me a code' }).click();
    await page.getByText(`We sent a code to ${BOTH.email}.`).waitFor();
    await expect(page.getByLabel('Code sent by email').isChecked()).resolves.toBe(true);
    await expect(page.getByLabel('Authenticator app').isChecked()).resolves.toBe(false);
    await page.getByLabel('Code', { exact: true }).fill(codeIn((await sink.waitFor(BOTH.email)).text));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(`${APP_CALLBACK}**`);
    expect(new URL(page.url()).searchParams.get('code')).toBeTruthy();
  });

  it('keeps the chosen method after a wrong code, and binds the error to the field', async () => {
    await startSignIn();
    await page.getByLabel('Email address').fill(BOTH.email);
    await page.getByLabel('Password', { exact: true }).fill(BOTH.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByLabel('Recovery code').check();
    await page.getByLabel('Code', { exact: true }).fill('WRONG-CODE');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('alert').waitFor();
    await expect(page.getByLabel('Recovery code').isChecked()).resolves.toBe(true);
    const field = page.getByLabel('Code', { exact: true });
    await expect(field.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(field.getAttribute('aria-describedby')).resolves.toBe('code-error');
    await expectPageFits(page, 'two-factor step with an error');

    sink.messages.length = 0;
    await page.getByRole('button', { name: 'Email me a code' }).click();
    await page.getByLabel('Code', { exact: true }).fill(codeIn((await sink.waitFor(BOTH.email)).text));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(`${APP_CALLBACK}**`);
  });

  it('fits the account pages of a signed-in user', async () => {
    for (const path of ['/account', '/account/password', '/account/two-factor']) {
      await page.goto(`${gh.issuer}${path}`);
      await expectPageFits(page, path);
    }
    await page.getByRole('button', { name: 'Make new recovery codes' }).click();
    await page.getByRole('heading', { name: 'New recovery codes' }).waitFor();
    await expect(page.getByRole('button', { name: 'Copy codes' }).isVisible()).resolves.toBe(true);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download as a file' }).click();
    expect((await download).suggestedFilename()).toBe('gatehouse-recovery-codes.txt');
    await expectPageFits(page, 'new recovery codes');
  });

  it('fits the sign-out pages', async () => {
    await page.goto(`${gh.issuer}/session/end`);
    await expectPageFits(page, 'sign-out confirmation');
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
    await expectPageFits(page, 'signed out');
  });

  it('fits the enrolment a mandatory group forces, and the recovery codes after it', async () => {
    await gh.gatehouse.userManager.createUser(ENROL);
    await startSignIn();
    await page.getByLabel('Email address').fill(ENROL.email);
    await page.getByLabel('Password', { exact: true }).fill(ENROL.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Set up two-factor authentication' }).waitFor();
    await expectPageFits(page, 'two-factor enrolment');
    const secret = (await page.getByTestId('totp-secret').getAttribute('data-secret')) ?? '';
    expect(await page.getByTestId('totp-secret').textContent()).toMatch(/^(\w{4} )+\w{1,4}$/);
    await page.getByLabel('Code from the app').fill(await generate({ secret }));
    await page.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    await expectPageFits(page, 'recovery codes at sign-in');
  });

  it('fits the password reset pages, the invitation page and the error pages', async () => {
    await page.goto(`${gh.issuer}/reset-password`);
    await expectPageFits(page, 'reset request');
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await expectPageFits(page, 'reset request with an error');
    await page.getByLabel('Email address').fill(BOTH.email);
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    await expectPageFits(page, 'reset sent');
    await page.goto(linkIn(await sink.waitFor(BOTH.email), `${gh.issuer}/reset-password?token=`));
    await expectPageFits(page, 'reset form');
    await page.goto(`${gh.issuer}/reset-password?token=not-a-token`);
    await expectPageFits(page, 'reset link invalid');

    await gh.gatehouse.invitations.invite({ email: 'invited@example.com', name: 'Ivy' });
    await page.goto(linkIn(await sink.waitFor('invited@example.com'), `${gh.issuer}/invite?token=`));
    await expectPageFits(page, 'invitation');

    await page.goto(`${gh.issuer}/interaction/nope`);
    await expectPageFits(page, 'error page');
    await page.goto(`${gh.issuer}/auth?client_id=nobody`);
    await expectPageFits(page, 'sign-in error page');
  });
});
