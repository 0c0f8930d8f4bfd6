import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, textOf } from '../support/browser.ts';
import type { TestGatehouse } from '../support/gatehouse.ts';
import { type GatehouseSetup, startOnTestDatabase } from '../support/gatehouse-setup.ts';

describe('first run: creating the first admin from the one-time link', () => {
  let setup: GatehouseSetup;
  let gh: TestGatehouse;

  beforeAll(async () => {
    setup = await startOnTestDatabase();
    gh = setup.gh;
  });
  afterAll(() => setup?.close());

  it('creates the admin once; a refused password does not use the link up', async () => {
    const link = await gh.gatehouse.setup.setupLinkIfNeeded();
    expect(link).toMatch(new RegExp(`^${gh.issuer}/setup/[\\w-]{43}$`));
    const browser = new Browser();
    const form = await browser.visit(link ?? '');
    expect(form.status).toBe(200);

    const refused = await browser.submit(form, 'form', { email: 'admin@example.com', password: 'short' });
    expect(refused.status).toBe(400);
    expect(textOf(refused)).toContain('at least 10 characters');

    const done = await browser.submit(refused, 'form', {
      email: 'admin@example.com',
      name: 'Ada Admin',
      password: 'a long enough passphrase',
    });
    expect(done.status).toBe(200);
    expect(textOf(done)).toContain('admin@example.com has been created');

    const admin = await gh.gatehouse.userManager.findByEmail('admin@example.com');
    expect(admin).toMatchObject({ name: 'Ada Admin', groups: ['admin'], status: 'active' });
    const signIn = await gh.gatehouse.signInManager.passwordSignIn(
      'admin@example.com',
      'a long enough passphrase',
    );
    expect(signIn.ok).toBe(true);

    const again = await browser.visit(link ?? '');
    expect(again.status).toBe(400);
    expect(textOf(again)).toContain('not valid any more');
    expect(await gh.gatehouse.setup.setupLinkIfNeeded()).toBeUndefined();
  });

  it('refuses a made-up setup token', async () => {
    const page = await new Browser().visit(`${gh.issuer}/setup/not-a-real-token`);
    expect(page.status).toBe(400);
  });
});
