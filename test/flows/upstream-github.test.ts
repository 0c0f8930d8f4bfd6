import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExternalProviderInput } from '../../src/external-logins/external-provider.ts';
import { Browser, textOf } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { type GitHubLike, startGitHubLike } from '../support/github-like.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { registerTestApp } from '../support/sign-in-flow.ts';
import { registerUpstream, signInThroughUpstream } from '../support/upstream-flow.ts';

type Options = NonNullable<ExternalProviderInput['options']>;
const GITHUB: Options = {
  preset: 'github',
  autoLink: { mode: 'link-and-create' },
  groupMappings: [{ claim: 'company', pattern: '@?contoso', group: 'contoso' }],
};

/**
 * Sign-ins through a GitHub-like plain OAuth2 server (no discovery, no ID token, /user and
 * /user/emails): the github preset, the verified primary address, link modes, confirmation before
 * linking and groups mapped from a profile field.
 */
describe('a GitHub upstream (plain OAuth2)', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let github: GitHubLike;
  let config: oidc.Configuration;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    github = await startGitHubLike({
      gatehouseIssuer: gh.issuer,
      alias: 'github',
      users: [
        {
          id: 101,
          login: 'octo',
          name: 'Octo Cat',
          email: 'public@octo.example',
          company: '@contoso',
          emails: [
            { email: 'public@octo.example', primary: false, verified: false },
            { email: 'octo@example.com', primary: true, verified: true },
          ],
        },
        {
          id: 102,
          login: 'sloppy',
          emails: [{ email: 'sloppy@example.com', primary: true, verified: false }],
        },
        { id: 103, login: 'kim', emails: [{ email: 'kim@example.com', primary: true, verified: true }] },
      ],
    });
    await registerUpstream(gh, github, { options: GITHUB });
    await gh.gatehouse.userManager.createUser({ email: 'kim@example.com', password: 'kim local password' });
    config = await registerTestApp(gh);
  });
  afterAll(async () => {
    await gh?.stop();
    await github?.close();
    await db?.drop();
  });

  const useOptions = (options: Options) =>
    gh.gatehouse.external.registry.update('github', { options: { ...GITHUB, ...options } });

  it('fills the endpoints from the github preset', async () => {
    const provider = await gh.gatehouse.external.registry.require('github');
    expect(provider).toMatchObject({
      kind: 'oauth2',
      displayName: 'GitHub',
      scopes: ['read:user', 'user:email'],
    });
    expect(provider.options.oauth2).toMatchObject({
      authorizationEndpoint: `${github.issuer}/login/oauth/authorize`,
      userinfoEndpoint: `${github.issuer}/api/v3/user`,
      emailsEndpoint: `${github.issuer}/api/v3/user/emails`,
    });
  });

  it('creates the user from the verified primary address, not the public profile one', async () => {
    const { page, finish } = await signInThroughUpstream(new Browser(), config, github, 'octo');
    const claims = (await finish(page)).claims();
    const octo = await gh.gatehouse.userManager.findByEmail('octo@example.com');
    expect(claims).toMatchObject({
      sub: octo?.id,
      email: 'octo@example.com',
      amr: ['fed'],
      groups: ['contoso'],
    });
    expect(octo).toMatchObject({ name: 'Octo Cat' });
    expect(await gh.gatehouse.userManager.findByEmail('public@octo.example')).toBeUndefined();
    const links = await gh.gatehouse.external.service.allLinksOf(octo?.id ?? '');
    expect(links.map((l) => [l.providerAlias, l.subject])).toEqual([['github', '101']]);
  });

  it('refuses an unverified primary address', async () => {
    const { page } = await signInThroughUpstream(new Browser(), config, github, 'sloppy');
    expect(page.status).toBe(403);
    expect(textOf(page)).toContain('GitHub has not verified your email address');
  });

  it('in create-only mode never attaches to an existing account', async () => {
    await useOptions({ autoLink: { mode: 'create-only' } });
    const { page } = await signInThroughUpstream(new Browser(), config, github, 'kim');
    expect(page.status).toBe(403);
    expect(textOf(page)).toContain('Your GitHub account is not linked to a user here');
    await useOptions({});
  });

  it('links onto an existing account once its password is given', async () => {
    const browser = new Browser();
    const asked = await signInThroughUpstream(browser, config, github, 'kim');
    expect(textOf(asked.page)).toContain('You signed in at GitHub as kim@example.com');
    const done = await browser.submit(asked.page, 'form[action$="/confirm-link"]', {
      password: 'kim local password',
    });
    const kim = await gh.gatehouse.userManager.findByEmail('kim@example.com');
    expect((await asked.finish(done)).claims()).toMatchObject({ sub: kim?.id });
  });

  it('removes the mapped group when the profile stops asserting it', async () => {
    const octo = github.users.get('octo');
    if (!octo) throw new Error('no octo');
    github.users.set('octo', { ...octo, company: 'Initech' });
    const { page, finish } = await signInThroughUpstream(new Browser(), config, github, 'octo');
    expect((await finish(page)).claims()).toMatchObject({ email: 'octo@example.com', groups: [] });
  });

  it('keeps a user whose mapped group went out of an application for that group', async () => {
    const contosoOnly = await registerTestApp(gh, { clientId: 'contoso-app', allowedGroups: ['contoso'] });
    const refused = await signInThroughUpstream(new Browser(), contosoOnly, github, 'octo');
    expect(refused.page.status).toBe(403);
    expect(textOf(refused.page)).toContain('Your account is not allowed to use contoso-app.');
    const octo = github.users.get('octo');
    if (!octo) throw new Error('no octo');
    github.users.set('octo', { ...octo, company: '@contoso' });
    const { page, finish } = await signInThroughUpstream(new Browser(), contosoOnly, github, 'octo');
    expect((await finish(page)).claims()).toMatchObject({ groups: ['contoso'] });
  });
});
