import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, textOf } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.ts';

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>';

describe('branding settings: the organisation’s name, logo, colour and support contact', () => {
  let db: TestDatabase;
  let sink: SmtpSink;
  let dir: string;
  const running: TestGatehouse[] = [];

  beforeAll(async () => {
    [db, sink] = await Promise.all([createTestDatabase(), startSmtpSink()]);
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-brand-'));
    writeFileSync(join(dir, 'acme.svg'), LOGO);
  });
  afterAll(async () => {
    for (const gh of running) await gh.stop();
    await sink?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(env: Record<string, string>): Promise<TestGatehouse> {
    const gh = await startGatehouse({ databaseUrl: db.url, env: { SMTP_URL: sink.url, ...env } });
    running.push(gh);
    return gh;
  }

  it('shows the name, the logo file, the colour and the support contact on pages and in emails', async () => {
    const gh = await start({
      PRODUCT_NAME: 'Acme Sign-in',
      LOGO_FILE: join(dir, 'acme.svg'),
      PRIMARY_COLOR: '#FFCC00',
      SUPPORT_CONTACT: 'help@acme.test',
    });
    await gh.gatehouse.userManager.createUser({ email: 'ann@acme.test', password: 'a long enough password' });
    const browser = new Browser();
    const page = await browser.visit(`${gh.issuer}/reset-password`);
    expect(page.body).toContain('<title>Reset your password · Acme Sign-in</title>');
    expect(page.body).not.toContain('Gatehouse');
    expect(page.body).toContain('<img class="logo" src="/assets/logo.svg"');
    expect(page.body).toContain('href="mailto:help@acme.test"');

    const logo = await fetch(`${gh.issuer}/assets/logo.svg`);
    expect(logo.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(await logo.text()).toBe(LOGO);
    // Yellow is too light for white text and links on white: darkened in light mode, kept in dark.
    const css = await (await fetch(`${gh.issuer}/assets/brand.css`)).text();
    expect(css).toContain(':root { --accent: #856a00; --accent-ink: #ffffff; }');
    expect(css).toMatch(/prefers-color-scheme: dark[^}]*--accent: #ffcc00; --accent-ink: #0d1117;/);

    await browser.submit(page, 'form[action="/reset-password"]', { email: 'ann@acme.test' });
    const mail = await sink.waitFor('ann@acme.test');
    expect(mail.text).toContain('your Acme Sign-in account');
    expect(mail.html).toContain(`src="${gh.issuer}/assets/logo.svg"`);
    expect(mail.html).toContain('background: #856a00');
  });

  it('loads a remote logo under the pages’ content security policy, and keeps the defaults otherwise', async () => {
    const branded = await start({ LOGO_URL: 'https://cdn.acme.test/logo.png' });
    const page = await new Browser().visit(`${branded.issuer}/reset-password`);
    expect(page.body).toContain('<img class="logo" src="https://cdn.acme.test/logo.png"');
    expect(page.headers.get('content-security-policy')).toContain(
      "img-src 'self' data: https://cdn.acme.test;",
    );

    const plain = await start({});
    const defaults = await new Browser().visit(`${plain.issuer}/reset-password`);
    expect(textOf(defaults)).toContain('Gatehouse');
    expect(defaults.body).not.toContain('class="logo"');
    expect(defaults.headers.get('content-security-policy')).toContain("img-src 'self' data:;");
  });

  it('refuses a colour or a logo it cannot use, naming the setting', async () => {
    await expect(start({ PRIMARY_COLOR: 'yellow' })).rejects.toThrow(
      /PRIMARY_COLOR: must be a colour like #1f5fbf/,
    );
    await expect(start({ LOGO_FILE: join(dir, 'logo.gif') })).rejects.toThrow(/LOGO_FILE: must be an \.svg/);
  });
});
