import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditContext, expectPageFits, launchChromium } from '../support/chromium.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { authorizationRequest } from '../support/relying-party.ts';
import { registerTestApp } from '../support/sign-in-flow.ts';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.ts';

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40" fill="#123"/></svg>';
const LENA = { email: 'lena@acme.test', name: 'Lena Lang', password: 'a long enough password' };

/**
 * What a German-speaking colleague of a branded organisation sees in a real browser: the sign-in
 * page in German (`ui_locales=de`), the organisation's name, logo and colour under the pages' own
 * content security policy, and a password reset whose email is German too.
 */
describe('a branded Gatehouse in German, in headless Chromium', { timeout: 240_000 }, () => {
  let db: TestDatabase;
  let sink: SmtpSink;
  let gh: TestGatehouse;
  let browser: Browser;
  let config: oidc.Configuration;
  let app: Server;
  let callback: string;
  let dir: string;

  beforeAll(async () => {
    [db, sink, browser] = await Promise.all([createTestDatabase(), startSmtpSink(), launchChromium()]);
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-brand-'));
    writeFileSync(join(dir, 'acme.svg'), LOGO);
    app = createServer((_req, res) => res.end('back at the application'));
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    callback = `http://127.0.0.1:${(app.address() as AddressInfo).port}/callback`;
    gh = await startGatehouse({
      databaseUrl: db.url,
      env: {
        SMTP_URL: sink.url,
        PRODUCT_NAME: 'Acme Anmeldung',
        LOGO_FILE: join(dir, 'acme.svg'),
        PRIMARY_COLOR: '#FFCC00',
      },
    });
    config = await registerTestApp(gh, { clientId: 'brand', name: 'Brand App', redirectUris: [callback] });
    await gh.gatehouse.userManager.createUser(LENA);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    app?.close();
    await gh?.stop();
    await sink?.close();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // Evaluated in the page, where the DOM is.
  const background = (page: Page) =>
    page.evaluate(`getComputedStyle(document.querySelector('button[type="submit"]')).backgroundColor`);

  it('shows the sign-in page in German with the name, logo and colour, light and dark', async () => {
    // The pages' real content security policy: the logo must load under it.
    const context = await browser.newContext({ viewport: { width: 390, height: 800 } });
    const page = await context.newPage();
    const request = await authorizationRequest(config, callback, { ui_locales: 'de' });
    await page.goto(request.url.toString());

    expect(await page.getAttribute('html', 'lang')).toBe('de');
    expect(await page.title()).toContain('Acme Anmeldung');
    await expect(page.getByRole('button', { name: 'Anmelden' }).count()).resolves.toBe(1);
    await expect(page.getByText('Passwort vergessen?').count()).resolves.toBe(1);
    expect(await page.locator('body').innerText()).not.toContain('Gatehouse');
    const logoWidth = await page.evaluate(`document.querySelector('img.logo').naturalWidth`);
    expect(logoWidth).toBe(40);
    // Yellow is too light for white text on white: darkened in light mode, as set in dark mode.
    expect(await background(page)).toBe('rgb(133, 106, 0)');
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await background(page)).toBe('rgb(255, 204, 0)');
    await context.close();

    const audit = await auditContext(browser);
    const audited = await audit.newPage();
    await audited.goto(request.url.toString());
    await expectPageFits(audited, 'branded German sign-in page');
    await audit.close();
  });

  it('resets the password in German, and the email is German too', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const request = await authorizationRequest(config, callback, { ui_locales: 'de' });
    await page.goto(request.url.toString());
    await page.getByText('Passwort vergessen?').click();
    expect(await page.getAttribute('html', 'lang')).toBe('de');
    await page.getByLabel('E-Mail-Adresse').fill(LENA.email);
    await page.locator('form[action="/reset-password"] button[type="submit"]').click();
    expect(await page.locator('body').innerText()).toContain('Prüfen Sie Ihre E-Mails');

    const mail = await sink.waitFor(LENA.email);
    expect(mail.html).toContain('<html lang="de">');
    expect(mail.text).toContain('Hallo Lena Lang,');
    expect(mail.text).toContain('Acme Anmeldung');
    await context.close();
  });
});
