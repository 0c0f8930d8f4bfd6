import * as oidc from 'openid-client';
import { expect } from 'vitest';
import type { Browser, Page } from './browser.ts';
import { authorizationRequest } from './relying-party.ts';

export const TEST_REDIRECT_URI = 'http://127.0.0.1:9/callback';

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
