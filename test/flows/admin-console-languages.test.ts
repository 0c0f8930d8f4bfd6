import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN } from '../fixtures/admin-http.ts';
import { type Browser, type Page, textOf } from '../support/browser.ts';
import { consoleSignIn } from '../support/console.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

describe('the console in the reader’s language', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let browser: Browser;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    await gh.gatehouse.userManager.createUser({ ...ADMIN, groups: ['admin'] });
    ({ browser } = await consoleSignIn(gh, ADMIN, '/admin/users'));
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  const page = async (path: string, language: string) =>
    textOf(await browser.request(`${gh.issuer}${path}`, { headers: { 'accept-language': language } }));

  it.each([
    [
      'de',
      '/admin/users',
      ['Benutzer hinzufügen', 'Anmeldeanbieter', 'Signaturschlüssel', 'Abmelden', '1 Benutzer'],
    ],
    [
      'fr',
      '/admin/applications/new',
      ['Enregistrer une application', 'Clés et signatures', 'Jetons d’accès'],
    ],
    ['nl', '/admin/keys', ['Ondertekeningssleutels roteren', 'Algoritme']],
    ['es', '/admin/audit', ['Registro de auditoría', 'Tipo de evento', 'Filtrar']],
    [
      'de',
      '/admin/providers/new',
      ['Anmeldeanbieter hinzufügen', 'Automatisch verknüpfen', 'Gruppenzuordnungen'],
    ],
    ['nl', '/admin/outbox', ['Postvak UIT']],
  ])('%s: %s', async (language, path, expected) => {
    const text = await page(path, language);
    for (const phrase of expected) expect(text).toContain(phrase);
  });

  it('writes dates and states in the reader’s language', async () => {
    const keys = await page('/admin/keys', 'de');
    expect(keys).toMatch(/\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} UTC/);
    expect(keys).toContain('aktiv');
    expect(await page('/admin/applications', 'fr')).toContain('public');
    expect(await page('/admin/users', 'es')).toContain('Activo');
  });

  it('says what the provider checks found in the reader’s language: a dry-run reason, a refused form', async () => {
    await gh.gatehouse.external.registry.create({
      alias: 'corp',
      displayName: 'Corp ID',
      issuer: 'https://idp.example.com',
      clientId: 'gatehouse',
      clientSecret: 'a client secret',
      options: { autoLink: { autoLinkExternalAccount: true } },
    });
    // A browser of its own: ui_locales is remembered, and the other tests read by Accept-Language.
    const french = await consoleSignIn(gh, ADMIN, '/admin/providers/corp?ui_locales=fr');
    const dryRun = (page: Page, values: Record<string, string>) =>
      french.browser.submit(page, 'form[action$="/dry-run"]', values);
    const unverified = await dryRun(french.page, { sub: 'u-1', email: 'paul@example.com' });
    expect(textOf(unverified)).toContain(
      'Le fournisseur amont n’a pas vérifié l’adresse e-mail (email_verified ne vaut pas true).',
    );
    expect(textOf(unverified)).not.toContain('The upstream has not verified');
    const badClaims = await dryRun(unverified, { sub: 'u-1', claims: '[1]' });
    expect(badClaims.status).toBe(400);
    expect(textOf(badClaims)).toContain(
      'Les claims doivent être un objet JSON, par exemple {"email_verified": true}.',
    );
    // A provider form's own rule, with the offending line in the sentence.
    const form = await french.browser.visit(`${gh.issuer}/admin/providers/corp`);
    const badMapping = await french.browser.submit(form, 'form[action="/admin/providers/corp"]', {
      groupMappings: 'groups-without-a-group',
    });
    expect(badMapping.status).toBe(400);
    expect(textOf(badMapping)).toContain(
      'Correspondance de groupe « groups-without-a-group » : écrivez claim=valeur:groupe ou claim~regex:groupe.',
    );
  });

  it('refuses a user form in German, with the service’s own reason', async () => {
    const german = await consoleSignIn(gh, ADMIN, '/admin/users/new?ui_locales=de');
    const add = (values: Record<string, string>) =>
      german.browser.submit(german.page, 'form[action="/admin/users"]', {
        email: 'neu@example.com',
        ...values,
      });
    const noPassword = await add({ how: 'password', password: '' });
    expect(noPassword.status).toBe(400);
    expect(textOf(noPassword)).toContain(
      'Geben Sie ein Passwort ein oder senden Sie stattdessen eine Einladung.',
    );
    const badGroup = await add({ how: 'password', password: 'a long enough password', groups: 'bad group!' });
    expect(badGroup.status).toBe(400);
    expect(textOf(badGroup)).toContain('„bad group!“ ist kein gültiger Gruppenname');
    expect(await gh.gatehouse.userManager.findByEmail('neu@example.com')).toBeUndefined();
  });

  it('keeps English for an English reader', async () => {
    const text = await page('/admin/users', 'en');
    expect(text).toContain('Add a user');
    expect(text).toContain('1 user.');
  });
});
