import { parse } from 'node-html-parser';
import type * as oidc from 'openid-client';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, type Page, textOf } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { registerTestApp, signInWithPassword, startAuthorization } from '../support/sign-in-flow.ts';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.ts';

const PASSWORD = 'correct horse battery';

/** A TOTP code for the step `offsetSteps` away from now, as the user's phone would show it. */
function totp(secret: string, offsetSteps = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSteps * 30 });
}

function secretOn(page: Page): string {
  const secret = parse(page.body)
    .querySelector('[data-testid="totp-secret"]')
    ?.textContent.replace(/\s/g, '');
  if (!secret) throw new Error(`no TOTP secret on the page:\n${page.body}`);
  return secret;
}

describe('two-factor authentication in the OIDC sign-in', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let smtp: SmtpSink;
  let config: oidc.Configuration;

  beforeAll(async () => {
    db = await createTestDatabase();
    smtp = await startSmtpSink();
    gh = await startGatehouse({
      databaseUrl: db.url,
      env: { TWO_FACTOR_REQUIRED_GROUPS: 'secure', SMTP_URL: smtp.url },
    });
    config = await registerTestApp(gh, { grants: ['authorization_code', 'refresh_token'] });
  });
  afterAll(async () => {
    await gh?.stop();
    await smtp?.close();
    await db?.drop();
  });

  async function newUser(email: string, groups: string[] = []) {
    return gh.gatehouse.userManager.createUser({ email, password: PASSWORD, groups });
  }

  /** Enrols through the sign-in pages (mandatory group) and returns the secret. */
  async function enrolAtSignIn(email: string): Promise<{
    secret: string;
    recoveryCodes: string[];
    tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
  }> {
    const browser = new Browser();
    const started = await signInWithPassword(browser, config, { email, password: PASSWORD });
    expect(textOf(started.page)).toContain('Set up two-factor authentication');
    const secret = secretOn(started.page);
    const wrong = await browser.submit(started.page, 'form[action$="/two-factor/enrol"]', { code: '000000' });
    expect(wrong.status).toBe(400);
    expect(secretOn(wrong)).toBe(secret);
    const codesPage = await browser.submit(wrong, 'form[action$="/two-factor/enrol"]', {
      code: await totp(secret),
    });
    const recoveryCodes = parse(codesPage.body)
      .querySelectorAll('[data-testid="recovery-codes"] code')
      .map((c) => c.textContent.trim());
    const tokens = await started.finish(
      await browser.submit(codesPage, 'form[action$="/two-factor/continue"]'),
    );
    return { secret, recoveryCodes, tokens };
  }

  it('forces enrolment for a mandatory group, then signs in with password + TOTP (amr/acr say so)', async () => {
    await newUser('secure@example.com', ['secure']);
    const { secret, recoveryCodes, tokens } = await enrolAtSignIn('secure@example.com');
    expect(recoveryCodes).toHaveLength(10);
    expect(tokens.claims()).toMatchObject({ acr: '2' });
    expect(tokens.claims()?.amr).toEqual(expect.arrayContaining(['pwd', 'otp']));

    const browser = new Browser();
    const started = await signInWithPassword(browser, config, {
      email: 'secure@example.com',
      password: PASSWORD,
    });
    expect(textOf(started.page)).toContain('Confirm it is you');
    // The enrolment used the current step; the phone's next code is the one a person would type.
    const code = await totp(secret, 1);
    const signedIn = await started.finish(
      await browser.submit(started.page, 'form[action$="/two-factor"]', { provider: 'totp', code }),
    );
    expect(signedIn.claims()).toMatchObject({ acr: '2' });

    // Replay: the same code, presented again in another sign-in, is refused.
    const again = new Browser();
    const second = await signInWithPassword(again, config, {
      email: 'secure@example.com',
      password: PASSWORD,
    });
    const replay = await again.submit(second.page, 'form[action$="/two-factor"]', { provider: 'totp', code });
    expect(replay.status).toBe(400);
    expect(textOf(replay)).toContain('That code is not right');
  });

  it('accepts one step of drift and refuses a code from three steps ago', async () => {
    const user = await newUser('drift@example.com', ['secure']);
    const { secret } = await enrolAtSignIn('drift@example.com');
    // Start from a clean replay marker so only drift decides.
    await gh.gatehouse.db('user_two_factor').where({ user_id: user.id }).update({ last_used_step: null });

    const old = new Browser();
    const first = await signInWithPassword(old, config, { email: 'drift@example.com', password: PASSWORD });
    const refused = await old.submit(first.page, 'form[action$="/two-factor"]', {
      provider: 'totp',
      code: await totp(secret, -3),
    });
    expect(refused.status).toBe(400);

    const browser = new Browser();
    const started = await signInWithPassword(browser, config, {
      email: 'drift@example.com',
      password: PASSWORD,
    });
    const previous = await totp(secret, -1);
    await started.finish(
      await browser.submit(started.page, 'form[action$="/two-factor"]', { provider: 'totp', code: previous }),
    );
  });

  it('takes each recovery code once; regenerating voids the old set', async () => {
    const user = await newUser('recovery@example.com', ['secure']);
    const { recoveryCodes } = await enrolAtSignIn('recovery@example.com');
    const [first, second] = recoveryCodes;

    const browser = new Browser();
    const started = await signInWithPassword(browser, config, {
      email: 'recovery@example.com',
      password: PASSWORD,
    });
    const used = await browser.submit(started.page, 'form[action$="/two-factor"]', {
      provider: 'recovery',
      code: first ?? '',
    });
    expect(textOf(used)).toContain('You have 9 recovery codes left.');
    await started.finish(await browser.submit(used, 'form[action$="/two-factor/continue"]'));
    expect(await gh.gatehouse.twoFactor.remainingRecoveryCodes(user)).toBe(9);

    const reuse = new Browser();
    const again = await signInWithPassword(reuse, config, {
      email: 'recovery@example.com',
      password: PASSWORD,
    });
    expect(
      (
        await reuse.submit(again.page, 'form[action$="/two-factor"]', {
          provider: 'recovery',
          code: first ?? '',
        })
      ).status,
    ).toBe(400);

    const fresh = await gh.gatehouse.twoFactor.regenerateRecoveryCodes(user);
    expect(fresh).toHaveLength(10);
    const stale = new Browser();
    const third = await signInWithPassword(stale, config, {
      email: 'recovery@example.com',
      password: PASSWORD,
    });
    expect(
      (
        await stale.submit(third.page, 'form[action$="/two-factor"]', {
          provider: 'recovery',
          code: second ?? '',
        })
      ).status,
    ).toBe(400);
    const events = await gh.gatehouse.audit.list({ affectedUserId: user.id, type: 'UserRecoveryCodeUsed' });
    expect(events[0]?.details).toMatchObject({ remaining: 9 });
  });

  it('sends a code by email to the SMTP sink and completes the sign-in with it', async () => {
    const user = await newUser('mailcode@example.com');
    await gh.gatehouse.twoFactor.beginEmail(user);
    const setupMail = await smtp.waitFor('mailcode@example.com');
    const setupCode = setupMail.text.match(/\b(\d{6})\b/)?.[1] ?? '';
    await gh.gatehouse.twoFactor.confirmEmail(user, setupCode);

    const browser = new Browser();
    const started = await signInWithPassword(browser, config, {
      email: 'mailcode@example.com',
      password: PASSWORD,
    });
    const sent = await browser.submit(started.page, 'form[action$="/two-factor/send"]');
    expect(textOf(sent)).toContain('We sent a code to mailcode@example.com');
    const mail = await smtp.waitFor('mailcode@example.com');
    expect(mail.subject).toBe('Your sign-in code');
    const code = mail.text.match(/\b(\d{6})\b/)?.[1] ?? '';
    const tokens = await started.finish(
      await browser.submit(sent, 'form[action$="/two-factor"]', { provider: 'email', code }),
    );
    expect(tokens.claims()).toMatchObject({ acr: '2' });
  });

  it("writes the code email in the user's stored language, not the English browser's", async () => {
    const user = await gh.gatehouse.userManager.createUser({
      email: 'amelie@example.com',
      password: PASSWORD,
      locale: 'fr',
    });
    await gh.gatehouse.twoFactor.beginEmail(user);
    const setupMail = await smtp.waitFor('amelie@example.com');
    expect(setupMail.subject).toBe('Votre code de connexion');
    await gh.gatehouse.twoFactor.confirmEmail(user, setupMail.text.match(/\b(\d{6})\b/)?.[1] ?? '');

    const browser = new Browser();
    const started = await signInWithPassword(browser, config, { email: user.email, password: PASSWORD });
    const sent = await browser.submit(started.page, 'form[action$="/two-factor/send"]');
    expect(textOf(sent)).toContain('We sent a code to amelie@example.com');
    const mail = await smtp.waitFor('amelie@example.com');
    expect(mail.subject).toBe('Votre code de connexion');
    expect(mail.text).toContain('Votre code de connexion Gatehouse est :');
    expect(mail.html).toContain('<html lang="fr">');
    const code = mail.text.match(/\b(\d{6})\b/)?.[1] ?? '';
    await started.finish(
      await browser.submit(sent, 'form[action$="/two-factor"]', { provider: 'email', code }),
    );
  });

  it('forces the step for a client asking acr_values=2, even for a signed-in user without two-factor', async () => {
    await newUser('stepup@example.com');
    const browser = new Browser();
    const plain = await signInWithPassword(browser, config, {
      email: 'stepup@example.com',
      password: PASSWORD,
    });
    expect((await plain.finish(plain.page)).claims()).toMatchObject({ acr: '1' });

    // Same browser, same session: asking for two factors leads to enrolment, not to the password.
    const stepUp = await startAuthorization(browser, config, { acr_values: '2' });
    expect(textOf(stepUp.page)).toContain('Set up two-factor authentication');
    const codes = await browser.submit(stepUp.page, 'form[action$="/two-factor/enrol"]', {
      code: await totp(secretOn(stepUp.page)),
    });
    const tokens = await stepUp.finish(await browser.submit(codes, 'form[action$="/two-factor/continue"]'));
    expect(tokens.claims()).toMatchObject({ acr: '2' });
  });

  it('counts wrong codes towards lockout', async () => {
    const user = await newUser('guesser@example.com', ['secure']);
    await enrolAtSignIn('guesser@example.com');
    const browser = new Browser();
    const started = await signInWithPassword(browser, config, {
      email: 'guesser@example.com',
      password: PASSWORD,
    });
    let page = started.page;
    for (let i = 0; i < 5; i++) {
      page = await browser.submit(page, 'form[action$="/two-factor"]', { provider: 'totp', code: '123456' });
      expect(page.status).toBe(400);
    }
    const locked = await gh.gatehouse.userManager.findById(user.id);
    expect(locked && gh.gatehouse.userManager.isLockedOut(locked)).toBe(true);
  });

  it('still asks for the second factor after a password reset', async () => {
    const user = await newUser('reset2fa@example.com', ['secure']);
    await enrolAtSignIn('reset2fa@example.com');
    await gh.gatehouse.userManager.resetPassword(user.id, 'a brand new passphrase');
    const browser = new Browser();
    const started = await signInWithPassword(browser, config, {
      email: 'reset2fa@example.com',
      password: 'a brand new passphrase',
    });
    expect(textOf(started.page)).toContain('Confirm it is you');
    expect(started.page.location).toBeUndefined();
  });

  it('keeps no TOTP secret in the clear in any column of the database', async () => {
    const user = await newUser('stored@example.com', ['secure']);
    const { secret } = await enrolAtSignIn('stored@example.com');
    const tables: Array<{ table_name: string }> = (
      await gh.gatehouse.db.raw(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
      )
    ).rows;
    for (const { table_name } of tables) {
      const dump = JSON.stringify(await gh.gatehouse.db(table_name).select('*'));
      expect(dump, table_name).not.toContain(secret);
    }
    const row = await gh.gatehouse
      .db('user_two_factor')
      .where({ user_id: user.id, provider: 'totp' })
      .first();
    expect(row.secret_encrypted).toMatch(/^v1\./);
  });
});

describe('two-factor switched off by a replaced UserManager', () => {
  it('signs a user with a second factor in with the password alone', async () => {
    const db = await createTestDatabase();
    const gh = await startGatehouse({
      databaseUrl: db.url,
      env: {
        GATEHOUSE_EXTENSIONS: new URL('../fixtures/extensions/no-two-factor.ts', import.meta.url).pathname,
      },
    });
    try {
      const user = await gh.gatehouse.userManager.createUser({
        email: 'plain@example.com',
        password: PASSWORD,
      });
      // Enabled while the feature existed (rows present), ignored now that the manager says no.
      await gh.gatehouse
        .db('user_two_factor')
        .insert({ user_id: user.id, provider: 'email', confirmed_at: new Date() });
      const config = await registerTestApp(gh);
      const browser = new Browser();
      const started = await signInWithPassword(browser, config, {
        email: 'plain@example.com',
        password: PASSWORD,
      });
      const tokens = await started.finish(started.page);
      expect(tokens.claims()).toMatchObject({ acr: '1', amr: ['pwd'] });
    } finally {
      await gh.stop();
      await db.drop();
    }
  });
});
