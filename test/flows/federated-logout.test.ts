import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { Browser, type Page } from '../support/browser.ts';
import type { TestGatehouse } from '../support/gatehouse.ts';
import { type BackchannelReceiver, startBackchannelReceiver } from '../support/relying-party.ts';
import { signInThroughUpstream } from '../support/upstream-flow.ts';
import type { UpstreamOp } from '../support/upstream-op.ts';
import { startWithUpstream, type UpstreamSetup } from '../support/upstream-setup.ts';

const POST_LOGOUT_URI = 'http://127.0.0.1:9/signed-out';
const CUSTOM_SIGN_OUT = 'https://portal.example.com/goodbye';
const ANN = { sub: 'u-ann', email: 'ann@example.com', email_verified: true, name: 'Ann' };

describe('federated logout: signing out of Gatehouse signs out of the upstream too', () => {
  let setup: UpstreamSetup;
  let gh: TestGatehouse;
  let upstream: UpstreamOp;
  let receiver: BackchannelReceiver;
  let config: oidc.Configuration;
  /** What the test's UserLogoutSuccess handler does with the URL the default handler filled in. */
  let handlerMode: 'keep' | 'override' | 'clear' = 'keep';

  beforeAll(async () => {
    receiver = await startBackchannelReceiver();
    setup = await startWithUpstream({
      gatehouse: {
        // These tests answer the question both ways; LOGOUT_ALWAYS_CONFIRM keeps it for a valid hint.
        env: { LOGOUT_ALWAYS_CONFIRM: 'true' },
        configure: (b) => {
          b.notifications.on('UserLogoutSuccess', (n) => {
            if (handlerMode === 'override') n.signOutRedirectUrl = CUSTOM_SIGN_OUT;
            if (handlerMode === 'clear') n.signOutRedirectUrl = undefined;
          });
        },
      },
      users: [ANN],
      provider: { options: { autoLink: { autoLinkExternalAccount: true } } },
      app: {
        clientId: 'webapp',
        public: false,
        postLogoutRedirectUris: [POST_LOGOUT_URI],
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

  const api = (browser: Browser) => new ApiClient(browser, gh.issuer);
  const isAuthenticated = async (browser: Browser) =>
    (await api(browser).get('/api/auth/is-authenticated')).json.isAuthenticated;
  const setFederatedLogout = (federatedLogout: boolean | null) =>
    gh.gatehouse.external.registry.update('corp', { options: { federatedLogout } });

  /** The application signs the user in through the Corp ID button. */
  async function signIn(browser: Browser) {
    const signedIn = await signInThroughUpstream(browser, config, upstream, 'u-ann');
    return signedIn.finish(signedIn.page);
  }

  /** RP-initiated logout up to Gatehouse's answer to the confirmation ("yes" or "no"). */
  async function confirmLogout(browser: Browser, idToken: string, choice: 'yes' | 'no', state = 'bye-123') {
    const endSession = oidc.buildEndSessionUrl(config, {
      id_token_hint: idToken,
      post_logout_redirect_uri: POST_LOGOUT_URI,
      state,
    });
    const confirm = await browser.visit(endSession.toString());
    expect(confirm.body).toContain('Sign out?');
    const submitter = choice === 'yes' ? { name: 'logout', value: 'yes' } : undefined;
    return browser.submit(confirm, 'form[id="op.logoutForm"]', {}, submitter);
  }

  /** At the upstream's end-session endpoint: its own confirmation, "yes", and back to Gatehouse. */
  async function signOutUpstream(browser: Browser, toUpstream: Page): Promise<Page> {
    const confirm = await browser.follow(toUpstream);
    expect(confirm.url.startsWith(`${upstream.issuer}/session/end`), confirm.url).toBe(true);
    const yes = await browser.submit(
      confirm,
      'form[id="op.logoutForm"]',
      {},
      { name: 'logout', value: 'yes' },
    );
    expect(yes.location?.startsWith(`${gh.issuer}/logout/upstream-callback?`), yes.location).toBe(true);
    return yes;
  }

  /** The upstream's end-session URL, with the upstream's own ID token as the hint. */
  function expectUpstreamEndSession(url: string | undefined) {
    const parsed = new URL(url ?? 'http://missing');
    expect(`${parsed.origin}${parsed.pathname}`).toBe(`${upstream.issuer}/session/end`);
    expect(parsed.searchParams.get('post_logout_redirect_uri')).toBe(`${gh.issuer}/logout/upstream-callback`);
    expect(parsed.searchParams.get('state')).toBeTruthy();
    const hint = parsed.searchParams.get('id_token_hint') ?? '';
    const claims = JSON.parse(Buffer.from(hint.split('.')[1] ?? '', 'base64url').toString());
    expect(claims).toMatchObject({ iss: upstream.issuer, aud: upstream.clientId, sub: 'u-ann' });
  }

  it('goes RP → Gatehouse → upstream end-session → Gatehouse → the RP’s post_logout_redirect_uri with state', async () => {
    const browser = new Browser();
    const tokens = await signIn(browser);
    const sid = tokens.claims()?.sid;
    expect(await upstream.hasSession(browser)).toBe(true);
    receiver.tokens.length = 0;

    const confirmed = await confirmLogout(browser, tokens.id_token ?? '', 'yes');
    expect(confirmed.status).toBe(303);
    expectUpstreamEndSession(confirmed.location);
    const back = await signOutUpstream(browser, confirmed);
    expect(await upstream.hasSession(browser)).toBe(false);
    const done = await browser.follow(back, (url) => url.startsWith(POST_LOGOUT_URI));
    expect(done.location).toBe(`${POST_LOGOUT_URI}?state=bye-123`);

    expect(await isAuthenticated(browser)).toBe(false);
    const logoutToken = await receiver.waitForToken();
    const payload = JSON.parse(Buffer.from(logoutToken.split('.')[1] ?? '', 'base64url').toString());
    expect(payload).toMatchObject({ iss: gh.issuer, aud: 'webapp', sid });
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token ?? '')).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('does not go upstream when the user chooses to stay signed in', async () => {
    const browser = new Browser();
    const tokens = await signIn(browser);
    const stayed = await confirmLogout(browser, tokens.id_token ?? '', 'no', 'stay');
    expect(stayed.location).toBe(`${POST_LOGOUT_URI}?state=stay`);
    expect(await isAuthenticated(browser)).toBe(true);
    expect(await upstream.hasSession(browser)).toBe(true);
  });

  it('honours a UserLogoutSuccess handler that overrides signOutRedirectUrl, or clears it', async () => {
    try {
      handlerMode = 'override';
      const overridden = new Browser();
      const first = await confirmLogout(overridden, (await signIn(overridden)).id_token ?? '', 'yes');
      expect(first.location).toBe(CUSTOM_SIGN_OUT);
      expect(await isAuthenticated(overridden)).toBe(false);

      handlerMode = 'clear';
      const cleared = new Browser();
      const second = await confirmLogout(cleared, (await signIn(cleared)).id_token ?? '', 'yes', 'local');
      expect(second.location).toBe(`${POST_LOGOUT_URI}?state=local`);
      expect(await isAuthenticated(cleared)).toBe(false);
      expect(await upstream.hasSession(cleared)).toBe(true);
    } finally {
      handlerMode = 'keep';
    }
  });

  it('answers the upstream end-session URL from /api/auth/logout', async () => {
    const browser = new Browser();
    await signIn(browser);
    const out = await api(browser).post('/api/auth/logout');
    expect(out.status).toBe(200);
    const url = out.json.signOutRedirectUrl;
    expect(typeof url).toBe('string');
    expectUpstreamEndSession(String(url));
    expect(await isAuthenticated(browser)).toBe(false);

    const back = await signOutUpstream(browser, await browser.request(String(url)));
    expect(await upstream.hasSession(browser)).toBe(false);
    const done = await browser.follow(back);
    expect(done.url).toBe(`${gh.issuer}/session/end/success`);
    expect(done.status).toBe(200);
  });

  it('stays local when the provider has federatedLogout: false', async () => {
    await setFederatedLogout(false);
    try {
      const browser = new Browser();
      const tokens = await signIn(browser);
      const confirmed = await confirmLogout(browser, tokens.id_token ?? '', 'yes', 'here');
      expect(confirmed.location).toBe(`${POST_LOGOUT_URI}?state=here`);
      expect(await upstream.hasSession(browser)).toBe(true);

      const apiBrowser = new Browser();
      await signIn(apiBrowser);
      expect((await api(apiBrowser).post('/api/auth/logout')).json).toEqual({ signOutRedirectUrl: null });
      expect(await upstream.hasSession(apiBrowser)).toBe(true);
    } finally {
      await setFederatedLogout(null);
    }
  });
});
