import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, textOf } from '../support/browser.ts';
import type { TestGatehouse } from '../support/gatehouse.ts';
import { startAuthorization } from '../support/sign-in-flow.ts';
import { pressUpstreamButton } from '../support/upstream-flow.ts';
import type { UpstreamOp } from '../support/upstream-op.ts';
import { startWithUpstream, type UpstreamSetup } from '../support/upstream-setup.ts';

describe('signing in with an upstream provider', () => {
  let setup: UpstreamSetup;
  let gh: TestGatehouse;
  let upstream: UpstreamOp;
  let config: oidc.Configuration;

  beforeAll(async () => {
    setup = await startWithUpstream({
      users: [
        { sub: 'u-ann', email: 'ann@example.com', email_verified: true, name: 'Ann Upstream' },
        { sub: 'u-new', email: 'new@example.com', email_verified: true, name: 'New Person' },
        { sub: 'u-unverified', email: 'unverified@example.com', email_verified: false },
      ],
      // Trusted to link silently: Ann's password account is linked without a confirmation step.
      provider: {
        options: {
          autoLink: { autoLinkExternalAccount: true, defaultUserGroups: ['staff'], linkSilently: true },
        },
      },
    });
    ({ gh, upstream, config } = setup);
    await gh.gatehouse.userManager.createUser({
      email: 'ann@example.com',
      name: 'Ann Local',
      password: 'correct horse battery',
    });
  });
  afterAll(() => setup?.close());

  async function viaUpstream(browser: Browser, sub: string) {
    const started = await startAuthorization(browser, config);
    expect(textOf(started.page)).toContain('Sign in with Corp ID');
    // pressUpstreamButton checks the redirect to the upstream's /auth on the way.
    return { started, page: await pressUpstreamButton(browser, started.page, upstream, sub) };
  }

  it('auto-links an existing user by verified email when trusted to link silently', async () => {
    const browser = new Browser();
    const { started, page } = await viaUpstream(browser, 'u-ann');
    const tokens = await started.finish(page);
    const ann = await gh.gatehouse.userManager.findByEmail('ann@example.com');
    expect(tokens.claims()).toMatchObject({ sub: ann?.id, amr: ['fed'], acr: '1' });
  });

  it('passes prompt=login upstream, so an open upstream session does not answer for the user', async () => {
    const browser = new Browser();
    const first = await viaUpstream(browser, 'u-ann');
    await first.started.finish(first.page);

    const again = await startAuthorization(browser, config, { prompt: 'login' });
    const toUpstream = await browser.submit(again.page, 'form[action$="/external/corp"]');
    expect(new URL(toUpstream.location ?? '').searchParams.get('prompt')).toBe('login');
    const upstreamPage = await browser.follow(toUpstream, (url) => url.startsWith(gh.issuer));
    expect(upstreamPage.body).toContain('name="login"');
  });

  it('auto-creates a user with the default groups', async () => {
    const browser = new Browser();
    const { started, page } = await viaUpstream(browser, 'u-new');
    const tokens = await started.finish(page);
    expect(tokens.claims()).toMatchObject({
      email: 'new@example.com',
      name: 'New Person',
      groups: ['staff'],
    });
  });

  it('refuses an unverified email with a clear page and no session', async () => {
    const browser = new Browser();
    const { page } = await viaUpstream(browser, 'u-unverified');
    expect(page.status).toBe(403);
    expect(textOf(page)).toContain('has not verified your email address');
    expect(await gh.gatehouse.userManager.findByEmail('unverified@example.com')).toBeUndefined();
  });
});
