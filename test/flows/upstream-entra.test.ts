import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExternalProviderInput } from '../../src/external-logins/external-provider.ts';
import { ApiClient } from '../support/api-client.ts';
import { Browser, textOf } from '../support/browser.ts';
import { type EntraLikeOp, startEntraLike } from '../support/entra-like-op.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { registerTestApp, startAuthorization } from '../support/sign-in-flow.ts';
import { pressUpstreamButton, registerUpstream, signInThroughUpstream } from '../support/upstream-flow.ts';

type Options = NonNullable<ExternalProviderInput['options']>;
const STAFF_OID = '2f1c9a34-staff';
const OPS_OID = '7d0e55aa-ops';
/** The options an Entra tenant gets from the preset, plus the group mappings these tests use. */
const ENTRA: Options = {
  preset: 'entra',
  autoLink: { mode: 'link-and-create', matchClaim: 'upn' },
  groupMappings: [
    { claim: 'groups', value: STAFF_OID, group: 'staff' },
    { claim: 'groups', value: OPS_OID, group: 'ops' },
  ],
};

/**
 * Sign-ins through an Entra-like upstream (no email_verified; xms_edov, upn, groups as object ids,
 * overage on demand): matching by upn, verification by xms_edov, the link modes, confirmation
 * before linking onto an existing account, and groups mapped at every sign-in.
 */
describe('an Entra ID upstream', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let entra: EntraLikeOp;
  let config: oidc.Configuration;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    entra = await startEntraLike({
      gatehouseIssuer: gh.issuer,
      alias: 'entra',
      users: [
        { sub: 'e-amy', upn: 'amy@contoso.com', name: 'Amy Entra', xms_edov: true, groups: [STAFF_OID] },
        { sub: 'e-noedov', upn: 'noedov@contoso.com', email: 'noedov@contoso.com' },
        { sub: 'e-lin', upn: 'lin@contoso.com', xms_edov: '1', groups: [] },
        { sub: 'e-root', upn: 'root@contoso.com', xms_edov: true },
        { sub: 'e-big', upn: 'big@contoso.com', xms_edov: true, groups: [STAFF_OID] },
        { sub: 'e-mfa', upn: 'mfa@contoso.com', xms_edov: true, amr: ['pwd', 'mfa'] },
        { sub: 'e-one', upn: 'one@contoso.com', xms_edov: true, amr: ['pwd'] },
      ],
    });
    await registerUpstream(gh, entra, { options: ENTRA });
    await gh.gatehouse.userManager.createUser({ email: 'lin@contoso.com', password: 'lin local password' });
    await gh.gatehouse.userManager.createUser({
      email: 'root@contoso.com',
      password: 'root local password',
      groups: ['admin'],
    });
    config = await registerTestApp(gh);
  });
  afterAll(async () => {
    await gh?.stop();
    await entra?.close();
    await db?.drop();
  });

  const useOptions = (options: Options) =>
    gh.gatehouse.external.registry.update('entra', { options: { ...ENTRA, ...options } });
  const groupsOf = async (email: string) => (await gh.gatehouse.userManager.findByEmail(email))?.groups;

  it('creates the user from upn, verified by xms_edov though Entra sends no email_verified', async () => {
    const { page, finish } = await signInThroughUpstream(new Browser(), config, entra, 'e-amy');
    const claims = (await finish(page)).claims();
    const amy = await gh.gatehouse.userManager.findByEmail('amy@contoso.com');
    expect(claims).toMatchObject({ sub: amy?.id, amr: ['fed'] });
    expect(amy).toMatchObject({ name: 'Amy Entra', groups: ['staff'], hasPassword: false });
  });

  it('refuses to link by an address Entra has not verified (no xms_edov)', async () => {
    const browser = new Browser();
    const { page } = await signInThroughUpstream(browser, config, entra, 'e-noedov');
    expect(page.status).toBe(403);
    expect(textOf(page)).toContain('Microsoft Entra ID has not verified your email address');
    expect(await gh.gatehouse.userManager.findByEmail('noedov@contoso.com')).toBeUndefined();
  });

  it('in link-only mode creates nobody, and links existing users', async () => {
    await useOptions({ autoLink: { mode: 'link-only', matchClaim: 'upn', requireVerifiedEmail: false } });
    const refused = await signInThroughUpstream(new Browser(), config, entra, 'e-noedov');
    expect(refused.page.status).toBe(403);
    expect(textOf(refused.page)).toContain('is not linked to a user here');
    expect(await gh.gatehouse.userManager.findByEmail('noedov@contoso.com')).toBeUndefined();
    await useOptions({});
  });

  it('asks the owner of an existing account for its password before linking, and links once it is given', async () => {
    const browser = new Browser();
    const asked = await signInThroughUpstream(browser, config, entra, 'e-lin');
    expect(asked.page.status).toBe(200);
    expect(textOf(asked.page)).toContain('An account with that address already exists here');
    const lin = await gh.gatehouse.userManager.findByEmail('lin@contoso.com');
    expect(await gh.gatehouse.external.service.allLinksOf(lin?.id ?? '')).toEqual([]);

    const wrong = await browser.submit(asked.page, 'form[action$="/confirm-link"]', {
      password: 'not it at all',
    });
    expect(wrong.status).toBe(400);
    expect(textOf(wrong)).toContain('That password is not right.');
    expect(await gh.gatehouse.external.service.allLinksOf(lin?.id ?? '')).toEqual([]);

    const right = await browser.submit(wrong, 'form[action$="/confirm-link"]', {
      password: 'lin local password',
    });
    const claims = (await asked.finish(right)).claims();
    expect(claims).toMatchObject({ sub: lin?.id });
    expect(claims?.amr).toEqual(expect.arrayContaining(['fed', 'pwd']));
    const links = await gh.gatehouse.external.service.allLinksOf(lin?.id ?? '');
    expect(links.map((l) => [l.providerAlias, l.subject])).toEqual([['entra', 'e-lin']]);

    // Linked now: the next sign-in goes straight through.
    const again = await signInThroughUpstream(new Browser(), config, entra, 'e-lin');
    expect((await again.finish(again.page)).claims()).toMatchObject({ sub: lin?.id });
  });

  it('never links silently onto an administrator, even when the provider may link silently', async () => {
    await useOptions({ autoLink: { mode: 'link-and-create', matchClaim: 'upn', linkSilently: true } });
    const asked = await signInThroughUpstream(new Browser(), config, entra, 'e-root');
    expect(asked.page.status).toBe(200);
    expect(textOf(asked.page)).toContain('Prove it is yours');
    const root = await gh.gatehouse.userManager.findByEmail('root@contoso.com');
    expect(await gh.gatehouse.external.service.allLinksOf(root?.id ?? '')).toEqual([]);
    await useOptions({});
  });

  it('maps groups at every sign-in: a group Entra stops asserting goes, an admin-given one stays', async () => {
    const amy = await gh.gatehouse.userManager.findByEmail('amy@contoso.com');
    if (!amy) throw new Error('Amy was not created');
    await gh.gatehouse.userManager.updateUser(amy.id, { groups: [...amy.groups, 'auditors'] });
    const user = entra.users.get('e-amy');
    entra.users.set('e-amy', { ...user, sub: 'e-amy', groups: [OPS_OID] });

    const { page, finish } = await signInThroughUpstream(new Browser(), config, entra, 'e-amy');
    expect((await finish(page)).claims()).toMatchObject({ groups: ['auditors', 'ops'] });
    expect(await groupsOf('amy@contoso.com')).toEqual(['auditors', 'ops']);
  });

  it('keeps a user out of an application for staff once Entra stops asserting staff, and lets them in again', async () => {
    const staffOnly = await registerTestApp(gh, { clientId: 'entra-staff-app', allowedGroups: ['staff'] });
    const refused = await signInThroughUpstream(new Browser(), staffOnly, entra, 'e-amy');
    expect(refused.page.status).toBe(403);
    expect(textOf(refused.page)).toContain('Your account is not allowed to use entra-staff-app.');

    const user = entra.users.get('e-amy');
    entra.users.set('e-amy', { ...user, sub: 'e-amy', groups: [STAFF_OID] });
    const { page, finish } = await signInThroughUpstream(new Browser(), staffOnly, entra, 'e-amy');
    expect((await finish(page)).claims()).toMatchObject({ groups: ['auditors', 'staff'] });
  });

  it('carries Entra’s MFA (amr pwd+mfa) into acr 2 when trusted for it (bypassTwoFactor), not otherwise', async () => {
    const untrusted = await signInThroughUpstream(new Browser(), config, entra, 'e-mfa');
    expect((await untrusted.finish(untrusted.page)).claims()).toMatchObject({ acr: '1', amr: ['fed'] });

    await useOptions({ bypassTwoFactor: true });
    const trusted = await signInThroughUpstream(new Browser(), config, entra, 'e-mfa');
    expect((await trusted.finish(trusted.page)).claims()).toMatchObject({
      acr: '2',
      amr: ['fed', 'pwd', 'mfa'],
    });
    // An application asking for two factors gets them from Entra, with no step at Gatehouse.
    const browser = new Browser();
    const started = await startAuthorization(browser, config, { acr_values: '2' });
    const back = await pressUpstreamButton(browser, started.page, entra, 'e-mfa');
    expect((await started.finish(back)).claims()).toMatchObject({ acr: '2' });
    // A trusted upstream that did one factor only is one factor here too.
    const single = await signInThroughUpstream(new Browser(), config, entra, 'e-one');
    expect((await single.finish(single.page)).claims()).toMatchObject({ acr: '1', amr: ['fed', 'pwd'] });
    await useOptions({});
  });

  it('refuses a sign-in whose groups overflowed the token, with a clear message, unless Graph is on', async () => {
    entra.overage('e-big', [STAFF_OID, OPS_OID]);
    const browser = new Browser();
    const refused = await signInThroughUpstream(browser, config, entra, 'e-big');
    expect(refused.page.status).toBe(403);
    expect(textOf(refused.page)).toContain('more groups at Microsoft Entra ID than fit in its sign-in token');

    await useOptions({ groupOverage: 'graph', graphEndpoint: entra.issuer });
    const { page, finish } = await signInThroughUpstream(new Browser(), config, entra, 'e-big');
    expect((await finish(page)).claims()).toMatchObject({ groups: ['ops', 'staff'] });
    await useOptions({});
  });
});

describe('an Entra ID upstream that signs out over the front channel', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let entra: EntraLikeOp;
  let config: oidc.Configuration;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    entra = await startEntraLike({
      gatehouseIssuer: gh.issuer,
      alias: 'entra',
      users: [{ sub: 'e-fay', upn: 'fay@contoso.com', xms_edov: true }],
    });
    await registerUpstream(gh, entra, {
      options: { preset: 'entra', autoLink: { mode: 'link-and-create', matchClaim: 'upn' } },
    });
    config = await registerTestApp(gh);
  });
  afterAll(async () => {
    await gh?.stop();
    await entra?.close();
    await db?.drop();
  });

  const isAuthenticated = async (browser: Browser) =>
    (await new ApiClient(browser, gh.issuer).get('/api/auth/is-authenticated')).json.isAuthenticated;

  it('ends the Gatehouse session when Entra loads the front-channel logout URL with iss and sid', async () => {
    const browser = new Browser();
    const { page, finish } = await signInThroughUpstream(browser, config, entra, 'e-fay');
    await finish(page);
    expect(await isAuthenticated(browser)).toBe(true);

    // A wrong issuer or a missing sid ends nothing.
    const forged = await new Browser().visit(
      `${gh.issuer}/external/entra/frontchannel-logout?iss=${encodeURIComponent('https://evil.example')}&sid=x`,
    );
    expect(forged.status).toBe(400);
    expect(await isAuthenticated(browser)).toBe(true);

    // Entra's iframe runs in its own page: no cookie of ours comes along.
    const [loaded] = await entra.frontChannelLogout(new Browser(), 'e-fay');
    expect(loaded?.status).toBe(200);
    expect(loaded?.headers.get('cache-control')).toBe('no-store');
    expect(loaded?.headers.get('content-security-policy')).toContain(`frame-ancestors ${entra.issuer}`);
    expect(await isAuthenticated(browser)).toBe(false);
  });

  it('sends logout_hint (Entra’s login_hint claim) and id_token_hint to the end-session endpoint', async () => {
    const browser = new Browser();
    const { page, finish } = await signInThroughUpstream(browser, config, entra, 'e-fay');
    await finish(page);
    // The upstream session record is tied to the new Gatehouse session by an event handler that
    // runs beside the response; a person does not sign out within those milliseconds, a test can.
    const fay = await gh.gatehouse.userManager.findByEmail('fay@contoso.com');
    for (let i = 0; i < 50; i++) {
      const bound = await gh.gatehouse
        .db('external_sessions')
        .where({ user_id: fay?.id })
        .whereNotNull('session_uid');
      if (bound.length > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const out = await new ApiClient(browser, gh.issuer).post('/api/auth/logout', {});
    const url = new URL(String(out.json.signOutRedirectUrl));
    expect(url.origin + url.pathname).toBe(`${entra.issuer}/session/end`);
    expect(url.searchParams.get('logout_hint')).toBe('O.hint-e-fay');
    expect(url.searchParams.get('id_token_hint')).toBeTruthy();
  });
});
