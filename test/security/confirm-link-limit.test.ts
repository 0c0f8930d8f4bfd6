import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, textOf } from '../support/browser.ts';
import type { TestGatehouse } from '../support/gatehouse.ts';
import { signInThroughUpstream } from '../support/upstream-flow.ts';
import type { UpstreamOp } from '../support/upstream-op.ts';
import { startWithUpstream, type UpstreamSetup } from '../support/upstream-setup.ts';

/**
 * Issue 10: the sign-in limits sat at the password routes, so confirming a link to an upstream
 * login with the account's password (POST /interaction/:uid/confirm-link) was a password-guessing
 * surface with no rate limit. The limits now live where every password is checked.
 */
describe('password guessing through the link confirmation', () => {
  let setup: UpstreamSetup;
  let gh: TestGatehouse;
  let corp: UpstreamOp;
  let config: oidc.Configuration;

  beforeAll(async () => {
    setup = await startWithUpstream({
      gatehouse: {
        env: { RATE_LIMIT_SIGN_IN_PER_ACCOUNT: '3/300', MAX_FAILED_ACCESS_ATTEMPTS_BEFORE_LOCKOUT: '100' },
      },
      users: [{ sub: 'u-lin', email: 'lin@example.com', email_verified: true }],
      provider: { options: { bypassTwoFactor: true, autoLink: { autoLinkExternalAccount: true } } },
    });
    ({ gh, upstream: corp, config } = setup);
    await gh.gatehouse.userManager.createUser({ email: 'lin@example.com', password: 'the right passphrase' });
  });
  afterAll(() => setup?.close());

  it('answers the fourth password for one account with a 429 page', async () => {
    const browser = new Browser();
    const asked = await signInThroughUpstream(browser, config, corp, 'u-lin');
    expect(textOf(asked.page)).toContain('Prove it is yours');
    let page = asked.page;
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      page = await browser.submit(page, 'form[action$="/confirm-link"]', { password: `guess ${i}` });
      statuses.push(page.status);
    }
    const refused = await browser.submit(page, 'form[action$="/confirm-link"]', {
      password: 'the right passphrase',
    });
    expect(statuses).toEqual([400, 400, 400]);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(textOf(refused)).toMatch(/Too many requests/);
  });
});
