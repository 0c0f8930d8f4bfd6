import type * as oidc from 'openid-client';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExternalProviderInput } from '../../src/external-logins/external-provider.ts';
import { ApiClient } from '../support/api-client.ts';
import { Browser, textOf } from '../support/browser.ts';
import { freePort, type TestGatehouse } from '../support/gatehouse.ts';
import { startAuthorization, TEST_REDIRECT_URI } from '../support/sign-in-flow.ts';
import { pressUpstreamButton, signInThroughUpstream } from '../support/upstream-flow.ts';
import type { UpstreamOp } from '../support/upstream-op.ts';
import { startWithUpstream, type UpstreamSetup } from '../support/upstream-setup.ts';

const REFUSAL = 'Contractors sign in through the partner portal, not here.';
const VETO = 'New accounts from this address need an administrator.';
type Options = NonNullable<ExternalProviderInput['options']>;
/** Every test states the options it needs over these, so no test depends on another's. */
const BASE: Options = {
  autoRedirect: false,
  bypassTwoFactor: false,
  syncProfile: 'import',
  autoLink: {
    autoLinkExternalAccount: true,
    defaultUserGroups: ['staff'],
    requireVerifiedEmail: true,
    allowedEmailDomains: [],
    // tf@example.com's password account is linked without a confirmation step here.
    linkSilently: true,
  },
};

describe('external sign-ins that are refused, edited or need more', () => {
  let setup: UpstreamSetup;
  let gh: TestGatehouse;
  let upstream: UpstreamOp;
  let config: oidc.Configuration;

  beforeAll(async () => {
    const verified = (sub: string, email: string, name?: string) => ({
      sub,
      email,
      email_verified: true,
      ...(name ? { name } : {}),
    });
    setup = await startWithUpstream({
      gatehouse: {
        configure: (b) => {
          b.notifications.on('ExternalLogin', (n) => {
            if (n.claims.email === 'blocked@example.com') n.refuse(REFUSAL);
          });
          b.notifications.on('ExternalLoginAutoLinking', (n) => {
            if (n.claims.email === 'grouped@example.com') n.user.groups.push('from-handler');
            if (n.claims.email === 'vetoed@example.com') n.refuse(VETO);
          });
        },
      },
      users: [
        verified('u-stranger', 'stranger@example.com'),
        verified('u-blocked', 'blocked@example.com'),
        verified('u-grouped', 'grouped@example.com', 'Greta Group'),
        verified('u-vetoed', 'vetoed@example.com'),
        verified('u-elsewhere', 'someone@elsewhere.org'),
        // Issue 10: split at the first @ this read as example.com; mail for it goes to evil.test.
        verified('u-two-ats', 'x@example.com@evil.test'),
        verified('u-sync', 'sync@example.com', 'Sam Before'),
        verified('u-tf', 'tf@example.com'),
        verified('u-locked', 'locked@example.com'),
        verified('u-disabled', 'disabled@example.com'),
      ],
      provider: { options: BASE },
    });
    ({ gh, upstream, config } = setup);
    // Nothing listens on this port: discovery fails the moment the button is used.
    await gh.gatehouse.external.registry.create({
      alias: 'down',
      displayName: 'Down IdP',
      issuer: `http://127.0.0.1:${await freePort()}`,
      clientId: 'gatehouse',
      clientSecret: 'never-used-secret',
      sortOrder: 1,
    });
  });
  afterAll(() => setup?.close());

  const useOptions = (options: Options) =>
    gh.gatehouse.external.registry.update('corp', { options: { ...BASE, ...options } });
  const isAuthenticated = async (browser: Browser) =>
    (await new ApiClient(browser, gh.issuer).get('/api/auth/is-authenticated')).json.isAuthenticated;
  const toApp = (url: string) => url.startsWith(TEST_REDIRECT_URI);

  /** Presses the Corp ID button and signs in upstream as `sub`; `page` is what Gatehouse shows next. */
  const viaUpstream = (browser: Browser, sub: string) =>
    signInThroughUpstream(browser, config, upstream, sub);

  it('shows a clear "not linked" page when auto-linking is off, with no session and no loop', async () => {
    await useOptions({ autoLink: { ...BASE.autoLink, autoLinkExternalAccount: false } });
    const browser = new Browser();
    const { page } = await viaUpstream(browser, 'u-stranger');
    expect(page.status).toBe(403);
    expect(page.location).toBeUndefined();
    expect(textOf(page)).toContain('Your Corp ID account is not linked to a user here');
    expect(await isAuthenticated(browser)).toBe(false);
    expect(await gh.gatehouse.userManager.findByEmail('stranger@example.com')).toBeUndefined();
    const again = await startAuthorization(browser, config);
    expect(again.page.body).toContain('name="password"');
  });

  it('shows an ExternalLogin handler’s refusal; no session, and the next authorize shows the login page', async () => {
    await useOptions({ autoRedirect: true });
    const browser = new Browser();
    const started = await startAuthorization(browser, config);
    expect(started.page.url.startsWith(upstream.issuer), 'auto-redirect goes upstream').toBe(true);
    const refused = await browser.follow(await upstream.signIn(browser, started.page, 'u-blocked'), toApp);
    expect(refused.status).toBe(403);
    expect(refused.location).toBeUndefined();
    expect(textOf(refused)).toContain(REFUSAL);
    expect(await isAuthenticated(browser)).toBe(false);

    // The upstream session is still there: auto-redirecting again would refuse again, in a circle.
    const next = await startAuthorization(browser, config);
    expect(next.page.url.startsWith(gh.issuer)).toBe(true);
    expect(next.page.status).toBe(200);
    expect(next.page.body).toContain('name="password"');
    expect(textOf(next.page)).toContain('Sign in with Corp ID');
    expect(await isAuthenticated(browser)).toBe(false);
  });

  it('says in German (ui_locales=de) that the account is locked, or disabled', async () => {
    await useOptions({});
    const manager = gh.gatehouse.userManager;
    const locked = await manager.createUser({ email: 'locked@example.com', password: 'locked password 123' });
    for (let i = 0; i < 5; i++) await manager.accessFailed(locked);
    const disabled = await manager.createUser({
      email: 'disabled@example.com',
      password: 'disabled password 1',
    });
    await manager.updateUser(disabled.id, { status: 'disabled' });

    const inGerman = async (sub: string) => {
      const browser = new Browser();
      const started = await startAuthorization(browser, config, { ui_locales: 'de' });
      const page = await pressUpstreamButton(browser, started.page, upstream, sub);
      expect(page.status).toBe(403);
      expect(page.body).toContain('<html lang="de">');
      expect(await isAuthenticated(browser)).toBe(false);
      return textOf(page);
    };
    const lockedPage = await inGerman('u-locked');
    expect(lockedPage).toContain(
      'Dieses Konto ist nach zu vielen fehlgeschlagenen Versuchen vorübergehend gesperrt.',
    );
    expect(lockedPage).not.toContain('This account is locked');
    const disabledPage = await inGerman('u-disabled');
    expect(disabledPage).toContain('Dieses Konto ist deaktiviert. Wenden Sie sich an einen Administrator.');
    expect(disabledPage).not.toContain('This account is disabled');
  });

  it('lets an ExternalLoginAutoLinking handler edit the new user, or refuse to create one', async () => {
    await useOptions({});
    const grouped = await viaUpstream(new Browser(), 'u-grouped');
    const tokens = await grouped.finish(grouped.page);
    expect(tokens.claims()).toMatchObject({
      email: 'grouped@example.com',
      groups: ['from-handler', 'staff'],
    });

    const browser = new Browser();
    const { page } = await viaUpstream(browser, 'u-vetoed');
    expect(page.status).toBe(403);
    expect(textOf(page)).toContain(VETO);
    expect(await isAuthenticated(browser)).toBe(false);
    expect(await gh.gatehouse.userManager.findByEmail('vetoed@example.com')).toBeUndefined();
  });

  it('auto-links only addresses in allowedEmailDomains', async () => {
    await useOptions({ autoLink: { ...BASE.autoLink, allowedEmailDomains: ['example.com'] } });
    const browser = new Browser();
    const { page } = await viaUpstream(browser, 'u-elsewhere');
    expect(page.status).toBe(403);
    expect(textOf(page)).toContain('Accounts from elsewhere.org cannot sign in here');
    expect(await isAuthenticated(browser)).toBe(false);
    expect(await gh.gatehouse.userManager.findByEmail('someone@elsewhere.org')).toBeUndefined();

    const twoAts = new Browser();
    const bypass = await viaUpstream(twoAts, 'u-two-ats');
    expect(bypass.page.status).toBe(403);
    expect(await isAuthenticated(twoAts)).toBe(false);
    expect(await gh.gatehouse.userManager.findByEmail('x@example.com@evil.test')).toBeUndefined();
  });

  it('with syncProfile force, updates name and email from the upstream at the next sign-in', async () => {
    await useOptions({ syncProfile: 'force' });
    const first = await viaUpstream(new Browser(), 'u-sync');
    const before = (await first.finish(first.page)).claims();
    expect(before).toMatchObject({ name: 'Sam Before', email: 'sync@example.com' });

    upstream.users.set('u-sync', {
      sub: 'u-sync',
      email: 'sam.after@example.com',
      email_verified: true,
      name: 'Sam After',
    });
    const second = await viaUpstream(new Browser(), 'u-sync');
    const after = (await second.finish(second.page)).claims();
    expect(after).toMatchObject({ sub: before?.sub, name: 'Sam After', email: 'sam.after@example.com' });
    const user = await gh.gatehouse.userManager.findById(String(before?.sub));
    expect(user).toMatchObject({ name: 'Sam After', email: 'sam.after@example.com' });
  });

  it('still asks for the second factor after an external sign-in, unless bypassTwoFactor', async () => {
    await useOptions({});
    const user = await gh.gatehouse.userManager.createUser({
      email: 'tf@example.com',
      password: 'tf password 12345',
    });
    const { secret } = await gh.gatehouse.twoFactor.beginTotp(user);
    await gh.gatehouse.twoFactor.confirmTotp(user, await generate({ secret }));

    const browser = new Browser();
    const asked = await viaUpstream(browser, 'u-tf');
    expect(asked.page.status).toBe(200);
    expect(textOf(asked.page)).toContain('Confirm it is you');
    expect(await isAuthenticated(browser)).toBe(false);
    // The enrolment used the current step's code; the next step's is the one a person would type.
    const code = await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
    const verified = await browser.submit(asked.page, 'form[action$="/two-factor"]', {
      provider: 'totp',
      code,
    });
    const tokens = await asked.finish(verified);
    expect(tokens.claims()).toMatchObject({ sub: user.id, acr: '2' });
    expect(tokens.claims()?.amr).toEqual(expect.arrayContaining(['fed', 'otp', 'mfa']));

    await useOptions({ bypassTwoFactor: true });
    const trusted = await viaUpstream(new Browser(), 'u-tf');
    expect(trusted.page.location, 'straight back to the application').toMatch(
      /^http:\/\/127\.0\.0\.1:9\/callback\?code=/,
    );
    expect((await trusted.finish(trusted.page)).claims()).toMatchObject({ sub: user.id, acr: '1' });
  });

  it('shows a clear error for an unreachable issuer only when its button is used; the rest keeps working', async () => {
    await useOptions({});
    const browser = new Browser();
    const started = await startAuthorization(browser, config);
    expect(started.page.status).toBe(200);
    expect(textOf(started.page)).toContain('Sign in with Down IdP');
    expect(started.page.body).toContain('name="password"');

    const down = await browser.submit(started.page, 'form[action$="/external/down"]');
    expect(down.status).toBe(502);
    expect(down.location).toBeUndefined();
    expect(textOf(down)).toContain('Signing in with Down IdP is not available right now');

    // The same interaction still offers the other ways in, and Corp ID signs in.
    const again = await browser.visit(started.page.url);
    expect(again.status).toBe(200);
    expect(textOf(again)).toContain('Sign in with Corp ID');
    const back = await pressUpstreamButton(browser, again, upstream, 'u-stranger');
    expect((await started.finish(back)).claims()).toMatchObject({ email: 'stranger@example.com' });
  });
});
