import * as oidc from 'openid-client';
import { expect } from 'vitest';
import type { ClientInput } from '../../src/oidc/client-service.ts';
import type { Browser, Page } from './browser.ts';
import type { TestGatehouse } from './gatehouse.ts';
import { authorizationRequest, discover } from './relying-party.ts';

/** Nothing listens there: the tests read the code from the redirect and never follow it. */
export const TEST_REDIRECT_URI = 'http://127.0.0.1:9/callback';

/**
 * The application the flow tests sign in to, unless a test says otherwise: public, the code grant
 * only, redirecting to TEST_REDIRECT_URI, and no consent page.
 */
const TEST_APP: ClientInput = {
  clientId: 'app',
  public: true,
  redirectUris: [TEST_REDIRECT_URI],
  postLogoutRedirectUris: [],
  grants: ['authorization_code'],
  scopes: [],
  skipConsent: true,
};

export interface RegisteredClient {
  clientId: string;
  /** A confidential client's generated secret; undefined for a public client. */
  secret: string | undefined;
  config: oidc.Configuration;
}

/**
 * Registers the test application, `overrides` over its defaults (a confidential client, other
 * grants, logout URIs, consent), and configures openid-client as that application.
 */
export async function registerTestClient(
  gh: TestGatehouse,
  overrides: Partial<ClientInput> = {},
): Promise<RegisteredClient> {
  const input = { ...TEST_APP, ...overrides };
  const created = await gh.gatehouse.clients.create(input);
  const secret = input.public ? undefined : (input.secret ?? created.secret);
  if (!input.public && !secret) throw new Error(`confidential client ${input.clientId} has no secret`);
  return { clientId: input.clientId, secret, config: await discover(gh.issuer, input.clientId, secret) };
}

/** `registerTestClient`, for the tests that need only the openid-client configuration. */
export async function registerTestApp(
  gh: TestGatehouse,
  overrides: Partial<ClientInput> = {},
): Promise<oidc.Configuration> {
  return (await registerTestClient(gh, overrides)).config;
}

export interface StartedSignIn {
  page: Page;
  finish(page: Page): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers>;
}

/**
 * Starts an OIDC authorization in `browser` and follows Gatehouse's redirects to the first page it
 * shows; `finish`, given the page that redirects back to the client, redeems the code.
 */
export async function startAuthorization(
  browser: Browser,
  config: oidc.Configuration,
  params: Record<string, string> = {},
): Promise<StartedSignIn> {
  const request = await authorizationRequest(config, TEST_REDIRECT_URI, params);
  const page = await browser.visit(request.url.toString(), (url) => url.startsWith(TEST_REDIRECT_URI));
  return {
    page,
    async finish(last: Page) {
      const done = await browser.follow(last, (url) => url.startsWith(TEST_REDIRECT_URI));
      expect(done.location, done.body).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
      return oidc.authorizationCodeGrant(config, new URL(done.location ?? ''), {
        pkceCodeVerifier: request.codeVerifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
      });
    },
  };
}

/** Starts a sign-in and posts the password; `page` is what Gatehouse shows next. */
export async function signInWithPassword(
  browser: Browser,
  config: oidc.Configuration,
  credentials: { email: string; password: string },
  params: Record<string, string> = {},
): Promise<StartedSignIn> {
  const started = await startAuthorization(browser, config, params);
  const posted = await browser.submit(started.page, 'form[action$="/login"]', credentials);
  return { ...started, page: await browser.follow(posted, (url) => url.startsWith(TEST_REDIRECT_URI)) };
}
