import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmailMessage } from '../../src/notifications/email/email-message.ts';
import { Browser, textOf } from '../support/browser.ts';
import { type EntraLikeOp, startEntraLike } from '../support/entra-like-op.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { type GitHubLike, startGitHubLike } from '../support/github-like.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { registerTestApp } from '../support/sign-in-flow.ts';
import { linkIn, type SmtpSink, startSmtpSink } from '../support/smtp-sink.ts';
import { registerUpstream, signInThroughUpstream } from '../support/upstream-flow.ts';

/**
 * Linking confirmation by the account's mailbox: an upstream identity that matches an existing
 * account is linked once its owner types the code mailed to the account's address (the third way,
 * beside the password and — after it — the second factor), with Entra-like and GitHub-like upstreams.
 */
describe('confirming a link with a code mailed to the account', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let entra: EntraLikeOp;
  let github: GitHubLike;
  let config: oidc.Configuration;
  const mail: EmailMessage[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({
      databaseUrl: db.url,
      configure: (builder) => {
        builder.notifications.on('SendEmailNotification', (n) => {
          n.handleEmail();
          mail.push(n.message);
        });
      },
    });
    [entra, github] = await Promise.all([
      startEntraLike({
        gatehouseIssuer: gh.issuer,
        alias: 'entra',
        users: [{ sub: 'e-mo', upn: 'mo@contoso.com', xms_edov: true }],
      }),
      startGitHubLike({
        gatehouseIssuer: gh.issuer,
        alias: 'github',
        users: [{ id: 9, login: 'jo', emails: [{ email: 'jo@example.com', primary: true, verified: true }] }],
      }),
    ]);
    await registerUpstream(gh, entra, {
      options: { preset: 'entra', autoLink: { mode: 'link-only', matchClaim: 'upn' } },
    });
    await registerUpstream(gh, github, { options: { preset: 'github', autoLink: { mode: 'link-only' } } });
    await gh.gatehouse.userManager.createUser({ email: 'mo@contoso.com', password: 'mo local password' });
    await gh.gatehouse.userManager.createUser({ email: 'jo@example.com', password: 'jo local password' });
    config = await registerTestApp(gh);
  });
  afterAll(async () => {
    await gh?.stop();
    await Promise.all([entra?.close(), github?.close()]);
    await db?.drop();
  });

  const linksOf = async (email: string) => {
    const user = await gh.gatehouse.userManager.findByEmail(email);
    return gh.gatehouse.external.service.allLinksOf(user?.id ?? '');
  };

  it.each([
    ['Entra', 'e-mo', 'mo@contoso.com'],
    ['GitHub', 'jo', 'jo@example.com'],
  ])(
    'links a %s identity once the mailed code is typed; a wrong code links nothing',
    async (_name, sub, email) => {
      const upstream = sub === 'jo' ? github : entra;
      const browser = new Browser();
      const asked = await signInThroughUpstream(browser, config, upstream, sub);
      expect(textOf(asked.page)).toContain(`Email a code to ${email} instead`);

      const sent = await browser.submit(asked.page, 'form[action$="/confirm-link/email-code"]');
      expect(textOf(sent)).toContain(`We emailed a code to ${email}.`);
      const message = mail.filter((m) => m.to === email).at(-1);
      expect(message?.code).toMatch(/^\d{6}$/);

      const wrong = await browser.submit(sent, '#confirm-by-code', {
        code: '000000' === message?.code ? '111111' : '000000',
      });
      expect(wrong.status).toBe(400);
      expect(textOf(wrong)).toContain('That code is not right or has expired.');
      expect(await linksOf(email)).toEqual([]);

      const done = await browser.submit(wrong, '#confirm-by-code', { code: message?.code ?? '' });
      const user = await gh.gatehouse.userManager.findByEmail(email);
      expect((await asked.finish(done)).claims()).toMatchObject({ sub: user?.id, amr: ['fed'] });
      expect(await linksOf(email)).toEqual([expect.objectContaining({ providerAlias: upstream.alias })]);
    },
  );
});

/**
 * The same proof by a link in the mail (sent with the code, over a real SMTP sink): it continues the
 * sign-in only in the browser that started it, and only once.
 */
describe('confirming a link with the link mailed to the account', () => {
  const EMAIL = 'lee@contoso.com';
  let db: TestDatabase;
  let sink: SmtpSink;
  let gh: TestGatehouse;
  let entra: EntraLikeOp;
  let config: oidc.Configuration;

  beforeAll(async () => {
    [db, sink] = await Promise.all([createTestDatabase(), startSmtpSink()]);
    gh = await startGatehouse({ databaseUrl: db.url, env: { SMTP_URL: sink.url } });
    entra = await startEntraLike({
      gatehouseIssuer: gh.issuer,
      alias: 'entra',
      users: [
        { sub: 'e-lee', upn: EMAIL, xms_edov: true },
        { sub: 'e-kim', upn: 'kim@contoso.com', xms_edov: true },
        { sub: 'e-ana', upn: 'ana@contoso.com', xms_edov: true },
        { sub: 'e-sam', upn: 'sam@contoso.com', xms_edov: true },
      ],
    });
    await registerUpstream(gh, entra, {
      options: { preset: 'entra', autoLink: { mode: 'link-only', matchClaim: 'upn' } },
    });
    await gh.gatehouse.userManager.createUser({ email: EMAIL, password: 'lee local password' });
    await gh.gatehouse.userManager.createUser({ email: 'kim@contoso.com', password: 'kim local password' });
    config = await registerTestApp(gh);
  });
  afterAll(async () => {
    await gh?.stop();
    await entra?.close();
    await sink?.close();
    await db?.drop();
  });

  const linksOf = async (email: string) => {
    const user = await gh.gatehouse.userManager.findByEmail(email);
    return gh.gatehouse.external.service.allLinksOf(user?.id ?? '');
  };

  /** Starts the upstream sign-in that waits for confirmation, and asks for the mail. */
  async function mailedLink(browser: Browser, sub: string, email: string) {
    const asked = await signInThroughUpstream(browser, config, entra, sub);
    const waiting = sink.waitFor(email);
    await browser.submit(asked.page, 'form[action$="/confirm-link/email-code"]');
    const link = linkIn(await waiting, `${gh.issuer}/interaction/`);
    expect(link).toContain('/confirm-link/email?token=');
    return { asked, link };
  }

  it('links and signs in from the mailed link in the same browser; another browser is refused and links nothing', async () => {
    const browser = new Browser();
    const { asked, link } = await mailedLink(browser, 'e-lee', EMAIL);

    // Someone else's browser (no cookies of this sign-in): a clear page, no link, no sign-in.
    const elsewhere = await new Browser().visit(link);
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.location).toBeUndefined();
    expect(textOf(elsewhere)).toContain('only works in the browser where you started signing in');
    expect(await linksOf(EMAIL)).toEqual([]);

    // The link was left unused: the owner's own browser still goes on with it.
    const opened = await browser.request(link);
    const user = await gh.gatehouse.userManager.findByEmail(EMAIL);
    expect((await asked.finish(opened)).claims()).toMatchObject({ sub: user?.id, amr: ['fed'] });
    expect(await linksOf(EMAIL)).toEqual([expect.objectContaining({ providerAlias: 'entra' })]);

    // Used once: opening it again signs nobody in.
    const again = await browser.request(link);
    expect(again.status).toBe(400);
    expect(again.location).toBeUndefined();
  });

  it('refuses a used, tampered or superseded link within the same waiting sign-in', async () => {
    const browser = new Browser();
    const { asked, link } = await mailedLink(browser, 'e-kim', 'kim@contoso.com');
    const tampered = await browser.request(`${link.slice(0, -4)}AAAA`);
    expect(tampered.status).toBe(400);
    expect(textOf(tampered)).toContain('That link is not valid any more.');

    // A second mail voids the first link.
    const waiting = sink.waitFor('kim@contoso.com');
    await browser.submit(asked.page, 'form[action$="/confirm-link/email-code"]');
    const second = linkIn(await waiting, `${gh.issuer}/interaction/`);
    const superseded = await browser.request(link);
    expect(superseded.status).toBe(400);
    expect(textOf(superseded)).toContain('That link is not valid any more.');
    expect(await linksOf('kim@contoso.com')).toEqual([]);

    const user = await gh.gatehouse.userManager.findByEmail('kim@contoso.com');
    expect((await asked.finish(await browser.request(second))).claims()).toMatchObject({ sub: user?.id });
  });

  it('voids a mailed link once the account’s password changes (bound to its security stamp)', async () => {
    const sam = await gh.gatehouse.userManager.createUser({
      email: 'sam@contoso.com',
      password: 'sam local pw 1',
    });
    const browser = new Browser();
    const { link } = await mailedLink(browser, 'e-sam', sam.email);
    await gh.gatehouse.userManager.resetPassword(sam.id, 'sam local password two');
    const opened = await browser.request(link);
    expect(opened.status).toBe(400);
    expect(textOf(opened)).toContain('That link is not valid any more.');
    expect(await linksOf(sam.email)).toEqual([]);
  });

  it('still asks the account’s own second factor after the mailed link, and links only then', async () => {
    const ana = await gh.gatehouse.userManager.createUser({
      email: 'ana@contoso.com',
      password: 'ana local pw',
    });
    const enrol = sink.waitFor(ana.email);
    await gh.gatehouse.twoFactor.beginEmail(ana);
    await gh.gatehouse.twoFactor.confirmEmail(ana, codeIn(await enrol));

    const browser = new Browser();
    const { asked, link } = await mailedLink(browser, 'e-ana', ana.email);
    const second = await browser.follow(await browser.request(link));
    expect(second.body).toContain('/two-factor"');
    expect(await linksOf(ana.email)).toEqual([]);

    // The code of the mail this button sends (each new code voids the one before).
    const before = sink.messages.length;
    const sent = await browser.submit(second, 'form[action$="/two-factor/send"]');
    const code = codeIn(await newestMailTo(sink, ana.email, before));
    const done = await browser.submit(sent, 'form[action$="/two-factor"]', { provider: 'email', code });
    expect((await asked.finish(done)).claims()).toMatchObject({ sub: ana.id });
    expect(await linksOf(ana.email)).toEqual([expect.objectContaining({ providerAlias: 'entra' })]);
  });
});

async function newestMailTo(sink: SmtpSink, to: string, after: number): Promise<{ text: string }> {
  for (let waited = 0; waited < 5000; waited += 50) {
    const mail = sink.messages
      .slice(after)
      .filter((m) => m.to === to)
      .at(-1);
    if (mail) return mail;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no mail to ${to}`);
}

function codeIn(mail: { text: string }): string {
  const code = mail.text.match(/\b\d{6}\b/)?.[0];
  if (!code) throw new Error(`no code in ${mail.text}`);
  return code;
}
