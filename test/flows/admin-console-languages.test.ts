import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN } from '../fixtures/admin-http.ts';
import { type Browser, textOf } from '../support/browser.ts';
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

  it('keeps English for an English reader', async () => {
    const text = await page('/admin/users', 'en');
    expect(text).toContain('Add a user');
    expect(text).toContain('1 user.');
  });
});
