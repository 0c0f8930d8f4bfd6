import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, textOf } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { registerTestApp, signInWithPassword, startAuthorization } from '../support/sign-in-flow.ts';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.ts';

const USER = { email: 'lena@example.com', name: 'Lena', password: 'a long enough password' };

describe('pages and emails in the language the application or the browser asks for', () => {
  let db: TestDatabase;
  let sink: SmtpSink;
  let gh: TestGatehouse;
  let config: oidc.Configuration;

  beforeAll(async () => {
    [db, sink] = await Promise.all([createTestDatabase(), startSmtpSink()]);
    gh = await startGatehouse({ databaseUrl: db.url, env: { SMTP_URL: sink.url } });
    await gh.gatehouse.userManager.createUser(USER);
    config = await registerTestApp(gh, { clientId: 'sprachen', name: 'Sprachen-App' });
  });
  afterAll(async () => {
    await gh?.stop();
    await sink?.close();
    await db?.drop();
  });

  it('renders the sign-in page in German for ui_locales=de, and keeps German for the reset email', async () => {
    const browser = new Browser();
    const { page } = await startAuthorization(browser, config, { ui_locales: 'de-CH en' });
    expect(page.body).toContain('<html lang="de">');
    expect(textOf(page)).toContain('Anmelden');
    expect(textOf(page)).toContain('Passwort vergessen?');
    expect(textOf(page)).not.toContain('Forgot your password?');

    // A wrong password is told in German too (it was always English), bound to the form.
    const refused = await browser.submit(page, 'form[action$="/login"]', {
      email: USER.email,
      password: 'not the password',
    });
    expect(textOf(refused)).toContain('E-Mail-Adresse oder Passwort ist falsch.');
    expect(textOf(refused)).not.toContain('The email address or password is incorrect.');

    // An empty form (the page has novalidate) is refused field by field in German too.
    const empty = await browser.submit(refused, 'form[action$="/login"]', { email: '', password: '' });
    expect(empty.status).toBe(400);
    expect(textOf(empty)).toContain('Geben Sie Ihre E-Mail-Adresse ein. Geben Sie Ihr Passwort ein.');
    expect(textOf(empty)).not.toContain('Enter your');

    // The "forgot password" link carries no ui_locales: the browser remembers the choice.
    const form = await browser.visit(`${gh.issuer}/reset-password`);
    expect(textOf(form)).toContain('Passwort zurücksetzen');
    const sent = await browser.submit(form, 'form[action="/reset-password"]', { email: USER.email });
    expect(textOf(sent)).toContain('Prüfen Sie Ihre E-Mails');
    const mail = await sink.waitFor(USER.email);
    expect(mail.subject).toBe('Passwort zurücksetzen');
    expect(mail.text).toContain('Hallo Lena,');
    expect(mail.text).toContain('Minuten ab');
    expect(mail.html).toContain('<html lang="de">');

    // The reset form states the password rules, and refuses, in German too.
    const link = mail.text.match(/https?:\/\/\S+/)?.[0] ?? 'no link in the mail';
    const resetForm = await browser.visit(link);
    expect(textOf(resetForm)).toMatch(/Mindestens \d+ Zeichen, höchstens \d+\./);
    const mismatch = await browser.submit(resetForm, 'form[action="/reset-password/complete"]', {
      password: 'ein neues langes Passwort',
      confirmPassword: 'ein anderes langes Passwort',
    });
    expect(textOf(mismatch)).toContain('Die beiden Passwörter stimmen nicht überein.');
    const short = await browser.submit(mismatch, 'form[action="/reset-password/complete"]', {
      password: 'kurz',
      confirmPassword: 'kurz',
    });
    expect(textOf(short)).toMatch(/Das Passwort muss mindestens \d+ Zeichen lang sein\./);
    expect(textOf(short)).not.toContain('The password must be');
  });

  it('follows Accept-Language when the application does not ask, and English otherwise', async () => {
    const visit = (language: string) =>
      new Browser().request(`${gh.issuer}/reset-password`, { headers: { 'accept-language': language } });
    expect(textOf(await visit('fr-BE, nl;q=0.5'))).toContain('Réinitialiser votre mot de passe');
    expect(textOf(await visit('ja, nl;q=0.1'))).toContain('Wachtwoord opnieuw instellen');
    expect(textOf(await visit('ja'))).toContain('Reset your password');
  });

  it('says an unknown application in plain Spanish words on the error page, with the request id', async () => {
    const browser = new Browser();
    const page = await browser.request(`${gh.issuer}/auth?client_id=nadie&ui_locales=es`);
    expect(page.status).toBe(400);
    expect(textOf(page)).toContain('no conoce la aplicación');
    expect(textOf(page)).toContain(page.headers.get('x-request-id') ?? 'missing id');
  });

  it("writes each user's emails in the language stored for them: the invitation's, then the sign-in's", async () => {
    const { invitations, passwordReset, userManager } = gh.gatehouse;
    // Invited in German by an administrator working in English (the call carries no request).
    const { user: invited } = await invitations.invite({
      email: 'jonas@example.com',
      name: 'Jonas',
      locale: 'de',
    });
    expect(invited.locale).toBe('de');
    const invitation = await sink.waitFor('jonas@example.com');
    expect(invitation.subject).toBe('Sie wurden eingeladen');
    expect(invitation.html).toContain('<html lang="de">');

    // Marie signs in through an application that asks for French: French becomes hers.
    const marie = { email: 'marie@example.com', name: 'Marie', password: 'un mot de passe assez long' };
    await userManager.createUser(marie);
    const browser = new Browser();
    const signedIn = await signInWithPassword(browser, config, marie, { ui_locales: 'fr' });
    await signedIn.finish(signedIn.page);
    expect((await userManager.findByEmail(marie.email))?.locale).toBe('fr');

    // A reset asked for her from a browser in another language, or by an administrator, is in French.
    const english = await new Browser().request(`${gh.issuer}/reset-password`, {
      headers: { 'accept-language': 'en' },
    });
    expect(textOf(english)).toContain('Reset your password');
    await passwordReset.requestAndWait(marie.email);
    const reset = await sink.waitFor(marie.email);
    expect(reset.subject).toBe('Réinitialisez votre mot de passe');
    expect(reset.html).toContain('<html lang="fr">');
  });
});
