import * as oidc from 'openid-client';
import { type Browser, type Page, textOf } from './browser.ts';
import type { TestGatehouse } from './gatehouse.ts';
import { type AuthorizationRequest, authorizationRequest } from './relying-party.ts';
import { registerTestClient, TEST_REDIRECT_URI } from './sign-in-flow.ts';

export const USER = { email: 'reader@example.com', password: 'correct horse battery', name: 'Rita Reader' };

export interface TestApp {
  clientId: string;
  secret: string;
  userId: string;
  config: oidc.Configuration;
}

/** A confidential client allowed the code and refresh grants, and one local user to sign in. */
export async function registerApp(gh: TestGatehouse, clientId = 'webapp'): Promise<TestApp> {
  const user = await gh.gatehouse.userManager.createUser({ ...USER, groups: ['readers'] });
  const { secret, config } = await registerTestClient(gh, {
    clientId,
    name: 'Web App',
    public: false,
    grants: ['authorization_code', 'refresh_token'],
    skipConsent: false,
  });
  if (!secret) throw new Error('a confidential client was created without a secret');
  return { clientId, secret, userId: user.id, config };
}

export interface Authorized {
  request: AuthorizationRequest;
  /** The redirect back to the application, carrying the code. */
  callback: URL;
  /** Which pages the browser was shown on the way, in order. */
  pages: Array<'login' | 'consent'>;
}

/**
 * Drives the browser from the authorization request to the redirect back to the application:
 * the login form if Gatehouse asks for it, the consent page if it asks for that.
 */
export async function authorize(browser: Browser, config: oidc.Configuration): Promise<Authorized> {
  const request = await authorizationRequest(config, TEST_REDIRECT_URI);
  const toApp = (url: string) => url.startsWith(TEST_REDIRECT_URI);
  const pages: Authorized['pages'] = [];
  let page: Page = await browser.visit(request.url.toString(), toApp);
  if (!page.location && page.body.includes('name="password"')) {
    pages.push('login');
    page = await browser.submit(page, 'form[action$="/login"]', {
      email: USER.email,
      password: USER.password,
    });
    page = await browser.follow(page, toApp);
  }
  if (!page.location && page.body.includes('Allow access?')) {
    pages.push('consent');
    page = await browser.submit(page, 'form[action$="/consent"]', {}, { name: 'decision', value: 'allow' });
    page = await browser.follow(page, toApp);
  }
  if (!page.location) throw new Error(`no redirect to the application, got ${page.status}: ${textOf(page)}`);
  return { request, callback: new URL(page.location), pages };
}

export function redeem(
  config: oidc.Configuration,
  authorized: Authorized,
): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers> {
  return oidc.authorizationCodeGrant(config, authorized.callback, {
    pkceCodeVerifier: authorized.request.codeVerifier,
    expectedState: authorized.request.state,
    expectedNonce: authorized.request.nonce,
  });
}

/** A client's raw POST to /token, so a test can see every status and error as sent. */
export async function postToken(
  app: TestApp,
  params: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const endpoint = app.config.serverMetadata().token_endpoint;
  if (!endpoint) throw new Error('discovery gave no token endpoint');
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${app.clientId}:${app.secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(params),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The code-redemption parameters for `authorized`, as the application would send them. */
export function codeParams(authorized: Authorized): Record<string, string> {
  return {
    grant_type: 'authorization_code',
    code: authorized.callback.searchParams.get('code') ?? '',
    redirect_uri: TEST_REDIRECT_URI,
    code_verifier: authorized.request.codeVerifier,
  };
}

export async function isActive(app: TestApp, token: string): Promise<boolean> {
  return (await oidc.tokenIntrospection(app.config, token)).active;
}
