import { parse } from 'node-html-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN } from '../fixtures/admin-http.ts';
import { type Browser, textOf } from '../support/browser.ts';
import { consoleSignIn } from '../support/console.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

describe('the console’s application forms', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let browser: Browser;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    await gh.gatehouse.userManager.createUser({ ...ADMIN, groups: ['admin'] });
    ({ browser } = await consoleSignIn(gh, ADMIN, '/admin/applications'));
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  const secretOn = (body: string) => parse(body).querySelector('#client-secret')?.textContent ?? '';

  it('registers an application, shows its secret once, rotates it, refuses bad input and deletes it', async () => {
    const form = await browser.visit(`${gh.issuer}/admin/applications/new`);
    const bad = await browser.submit(
      form,
      'form.panel',
      { clientId: 'crm', type: 'confidential', redirectUris: 'not a uri' },
      { name: 'action', value: 'save' },
    );
    expect(bad.status).toBe(400);
    expect(textOf(bad)).toMatch(/grant/i);

    const created = await browser.submit(
      form,
      'form.panel',
      {
        clientId: 'crm',
        name: 'CRM',
        type: 'confidential',
        grants: 'authorization_code',
        redirectUris: 'https://crm.example/cb',
        allowedGroups: 'sales, support',
      },
      { name: 'action', value: 'save' },
    );
    expect(created.status, textOf(created).slice(0, 400)).toBe(201);
    const stored = await gh.gatehouse.clients.require('crm');
    expect(stored.metadata.allowed_groups).toEqual(['sales', 'support']);
    const first = secretOn(created.body);
    expect(first.length).toBeGreaterThan(20);
    const shown = await browser.visit(`${gh.issuer}/admin/applications/crm`);
    expect(secretOn(shown.body)).toBe('');
    expect(textOf(shown)).toContain('https://crm.example/cb');
    expect(shown.body).toContain('value="sales, support"');

    const rotated = await browser.submit(shown, 'form.panel', {}, { name: 'action', value: 'rotate' });
    const second = secretOn(rotated.body);
    expect(second.length).toBeGreaterThan(20);
    expect(second).not.toBe(first);

    const deleted = await browser.follow(
      await browser.submit(shown, 'form.panel', {}, { name: 'action', value: 'delete' }),
    );
    expect(textOf(deleted)).toContain('Deleted.');
    expect(await gh.gatehouse.clients.list().then((l) => l.map((c) => c.clientId))).not.toContain('crm');
    const audit = await gh.gatehouse.audit.list({ type: 'AdminAction' });
    expect(audit.map((e) => e.details.action)).toEqual(
      expect.arrayContaining(['client.create', 'client.rotate-secret', 'client.delete']),
    );
  });

  it('keeps the built-in console client read-only', async () => {
    const page = await browser.visit(`${gh.issuer}/admin/applications/gatehouse-console`);
    expect(textOf(page)).toContain('built in and cannot be changed');
    const refused = await browser.submit(page, 'form.panel', {}, { name: 'action', value: 'delete' });
    expect(refused.status).toBe(409);
  });
});
