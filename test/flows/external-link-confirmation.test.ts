import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmailMessage } from '../../src/notifications/email/email-message.ts';
import { Browser, textOf } from '../support/browser.ts';
import { type EntraLikeOp, startEntraLike } from '../support/entra-like-op.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { type GitHubLike, startGitHubLike } from '../support/github-like.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { registerTestApp } from '../support/sign-in-flow.ts';
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
