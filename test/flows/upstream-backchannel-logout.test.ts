import { randomUUID } from 'node:crypto';
import { type CryptoKey, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { Browser } from '../support/browser.ts';
import type { TestGatehouse } from '../support/gatehouse.ts';
import { type BackchannelReceiver, startBackchannelReceiver } from '../support/relying-party.ts';
import { signInThroughUpstream } from '../support/upstream-flow.ts';
import type { UpstreamOp } from '../support/upstream-op.ts';
import { startWithUpstream, type UpstreamSetup } from '../support/upstream-setup.ts';

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const ANN = { sub: 'u-ann', email: 'ann@example.com', email_verified: true, name: 'Ann' };

describe('back-channel logout from the upstream provider', () => {
  let setup: UpstreamSetup;
  let gh: TestGatehouse;
  let upstream: UpstreamOp;
  let receiver: BackchannelReceiver;
  let config: oidc.Configuration;

  beforeAll(async () => {
    receiver = await startBackchannelReceiver();
    setup = await startWithUpstream({
      users: [ANN],
      provider: { options: { autoLink: { autoLinkExternalAccount: true } } },
      app: {
        clientId: 'webapp',
        public: false,
        backchannelLogoutUri: receiver.url,
        grants: ['authorization_code', 'refresh_token'],
      },
    });
    ({ gh, upstream, config } = setup);
  });
  afterAll(async () => {
    await setup?.close();
    await receiver?.close();
  });

  const isAuthenticated = async (browser: Browser) =>
    (await new ApiClient(browser, gh.issuer).get('/api/auth/is-authenticated')).json.isAuthenticated;

  /** The application signs the user in through the Corp ID button. */
  async function signIn(browser: Browser) {
    const signedIn = await signInThroughUpstream(browser, config, upstream, 'u-ann');
    return signedIn.finish(signedIn.page);
  }

  /** A logout token as the upstream would sign it; `claims` changes or adds to the genuine ones. */
  async function logoutToken(claims: JWTPayload = {}, key: CryptoKey = upstream.signingKey.key) {
    const payload: JWTPayload = {
      iss: upstream.issuer,
      aud: upstream.clientId,
      iat: Math.floor(Date.now() / 1000),
      jti: randomUUID(),
      sub: 'u-ann',
      events: { [BACKCHANNEL_EVENT]: {} },
      ...claims,
    };
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', kid: upstream.signingKey.kid, typ: 'logout+jwt' })
      .sign(key);
  }

  async function post(token: string) {
    const response = await fetch(`${gh.issuer}/external/corp/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: token }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('ends the Gatehouse session when the user signs out at the upstream, and tells the application', async () => {
    const browser = new Browser();
    const tokens = await signIn(browser);
    receiver.tokens.length = 0;

    const confirm = await browser.visit(`${upstream.issuer}/session/end`);
    const signedOut = await browser.submit(
      confirm,
      'form[id="op.logoutForm"]',
      {},
      { name: 'logout', value: 'yes' },
    );
    expect(signedOut.status).toBe(303);
    expect(await upstream.hasSession(browser)).toBe(false);

    const logoutToken = await receiver.waitForToken();
    const payload = JSON.parse(Buffer.from(logoutToken.split('.')[1] ?? '', 'base64url').toString());
    expect(payload).toMatchObject({ iss: gh.issuer, aud: 'webapp', sid: tokens.claims()?.sid });
    expect(await isAuthenticated(browser)).toBe(false);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token ?? '')).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    // The ended session is announced like any other sign-out.
    const user = await gh.gatehouse.userManager.findByEmail(ANN.email);
    const logouts = await gh.gatehouse.audit.list({ affectedUserId: user?.id, type: 'UserLogoutSuccess' });
    expect(logouts.map((e) => e.details.reason)).toContain('upstream');
  });

  it('refuses forged, mis-addressed, nonce-carrying and stale logout tokens with 400, ending nothing', async () => {
    const browser = new Browser();
    const tokens = await signIn(browser);
    receiver.tokens.length = 0;
    const { privateKey: otherKey } = await generateKeyPair('RS256');
    const bad = {
      'signed with another key': await logoutToken({}, otherKey),
      'for another audience': await logoutToken({ aud: 'someone-else' }),
      'with a nonce': await logoutToken({ nonce: 'n-123' }),
      'issued an hour ago': await logoutToken({ iat: Math.floor(Date.now() / 1000) - 3600 }),
      'issued an hour from now': await logoutToken({ iat: Math.floor(Date.now() / 1000) + 3600 }),
      'without the logout event': await logoutToken({ events: {} }),
      // Issue 10: typeof null is 'object', and this one was accepted.
      'with a null logout event': await logoutToken({ events: { [BACKCHANNEL_EVENT]: null } }),
      'with a logout event that is a list': await logoutToken({ events: { [BACKCHANNEL_EVENT]: [] } }),
    };
    for (const [what, token] of Object.entries(bad)) {
      const answer = await post(token);
      expect(answer.status, what).toBe(400);
      expect(answer.body.error, what).toBe('invalid_request');
    }
    expect(await isAuthenticated(browser)).toBe(true);
    expect(receiver.tokens).toEqual([]);
    expect((await oidc.refreshTokenGrant(config, tokens.refresh_token ?? '')).access_token).toBeTruthy();
  });

  it('refuses a replayed logout token (same jti) with 400', async () => {
    const first = new Browser();
    await signIn(first);
    const token = await logoutToken();
    expect((await post(token)).status).toBe(200);
    expect(await isAuthenticated(first)).toBe(false);

    const second = new Browser();
    await signIn(second);
    receiver.tokens.length = 0;
    const replay = await post(token);
    expect(replay.status).toBe(400);
    expect(replay.body).toMatchObject({ error: 'invalid_request' });
    expect(await isAuthenticated(second)).toBe(true);
    expect(receiver.tokens).toEqual([]);
  });
});
