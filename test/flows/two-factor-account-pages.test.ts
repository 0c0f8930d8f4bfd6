import { parse } from 'node-html-parser';
import type * as oidc from 'openid-client';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { Browser, type Page, textOf } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { registerTestApp, signInWithPassword } from '../support/sign-in-flow.ts';

const PASSWORD = 'correct horse battery';
const codeAt = (secret: string, steps: number) =>
  generate({ secret, epoch: Math.floor(Date.now() / 1000) + steps * 30 });
const recoveryCodesOn = (page: Page) =>
  parse(page.body)
    .querySelectorAll('[data-testid="recovery-codes"] code')
    .map((c) => c.textContent.trim());

describe('two-factor on the account pages', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let config: oidc.Configuration;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    config = await registerTestApp(gh);
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  it('enrols an authenticator from the page, then signs in with password + TOTP', async () => {
    await gh.gatehouse.userManager.createUser({ email: 'page2fa@example.com', password: PASSWORD });
    const browser = new Browser();
    await new ApiClient(browser, gh.issuer).post('/api/auth/login', {
      username: 'page2fa@example.com',
      password: PASSWORD,
    });

    const overview = await browser.visit(`${gh.issuer}/account/two-factor`);
    expect(textOf(overview)).toContain('Off.');
    const setup = await browser.visit(`${gh.issuer}/account/two-factor/authenticator`);
    expect(setup.body).toContain('src="data:image/png;base64,');
    const secret =
      parse(setup.body).querySelector('[data-testid="totp-secret"]')?.textContent.replace(/\s/g, '') ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);

    const refused = await browser.submit(setup, 'form', { code: '000000' });
    expect(refused.status).toBe(400);
    const enabled = await browser.submit(refused, 'form', { code: await codeAt(secret, 0) });
    expect(recoveryCodesOn(enabled)).toHaveLength(10);

    const other = new Browser();
    const started = await signInWithPassword(other, config, {
      email: 'page2fa@example.com',
      password: PASSWORD,
    });
    expect(textOf(started.page)).toContain('Confirm it is you');
    const tokens = await started.finish(
      await other.submit(started.page, 'form[action$="/two-factor"]', {
        provider: 'totp',
        code: await codeAt(secret, 1),
      }),
    );
    expect(tokens.claims()).toMatchObject({ acr: '2' });
    expect(tokens.claims()?.amr).toEqual(expect.arrayContaining(['pwd', 'otp']));

    // New recovery codes from the page; then turning it off needs the password and a code.
    const regenerated = await browser.submit(
      await browser.visit(`${gh.issuer}/account/two-factor`),
      'form[action$="/recovery-codes"]',
    );
    expect(recoveryCodesOn(regenerated)).toHaveLength(10);
    const page = await browser.visit(`${gh.issuer}/account/two-factor`);
    const wrong = await browser.submit(page, 'form[action$="/disable"]', {
      password: 'not it at all',
      provider: 'totp',
      code: await codeAt(secret, 0),
    });
    expect(wrong.status).toBe(400);
    const off = await browser.submit(wrong, 'form[action$="/disable"]', {
      password: PASSWORD,
      provider: 'recovery',
      code: recoveryCodesOn(regenerated)[0] ?? '',
    });
    expect(textOf(off)).toContain('Two-factor authentication is off.');

    const plain = new Browser();
    const again = await signInWithPassword(plain, config, {
      email: 'page2fa@example.com',
      password: PASSWORD,
    });
    expect(again.page.location).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
  });

  it('lets a user without a password (upstream sign-in only) turn it off with a code alone', async () => {
    const user = await gh.gatehouse.userManager.createUser({ email: 'upstreamonly@example.com' });
    const { secret } = await gh.gatehouse.twoFactor.beginTotp(user);
    await gh.gatehouse.twoFactor.confirmTotp(user, await codeAt(secret, 0));
    await expect(gh.gatehouse.twoFactor.disable(user, '', 'totp', '000000')).rejects.toThrow('not right');
    await gh.gatehouse.twoFactor.disable(user, '', 'totp', await codeAt(secret, 1));
    expect(await gh.gatehouse.twoFactor.enabledProviders(user)).toEqual([]);

    const withPassword = await gh.gatehouse.userManager.createUser({
      email: 'haspw@example.com',
      password: PASSWORD,
    });
    const enrolled = await gh.gatehouse.twoFactor.beginTotp(withPassword);
    await gh.gatehouse.twoFactor.confirmTotp(withPassword, await codeAt(enrolled.secret, 0));
    await expect(
      gh.gatehouse.twoFactor.disable(withPassword, '', 'totp', await codeAt(enrolled.secret, 1)),
    ).rejects.toThrow('not right');
  });

  it('sends the signed-out visitor to sign in', async () => {
    const page = await new Browser().request(`${gh.issuer}/account/two-factor`);
    expect(page.status).toBe(302);
    expect(page.location).toContain('/console/sign-in?returnTo=');
  });
});
