import { parse } from 'node-html-parser';
import type * as oidc from 'openid-client';
import { expect } from 'vitest';
import type { ExternalProviderInput } from '../../src/external-logins/external-provider.ts';
import type { Browser, Page } from './browser.ts';
import type { TestGatehouse } from './gatehouse.ts';
import { type StartedSignIn, startAuthorization, TEST_REDIRECT_URI } from './sign-in-flow.ts';
import type { UpstreamOp } from './upstream-op.ts';

/** What the flow helpers need of an upstream: the OIDC one, the Entra-like or the GitHub-like. */
export type TestUpstream = Pick<UpstreamOp, 'alias' | 'issuer' | 'clientId' | 'clientSecret' | 'signIn'>;

/** Registers `upstream` in Gatehouse's provider registry, under the alias it was started for. */
export function registerUpstream(
  gh: TestGatehouse,
  upstream: TestUpstream,
  provider: Omit<ExternalProviderInput, 'alias' | 'issuer' | 'clientId' | 'clientSecret'>,
) {
  return gh.gatehouse.external.registry.create({
    alias: upstream.alias,
    issuer: upstream.issuer,
    clientId: upstream.clientId,
    clientSecret: upstream.clientSecret,
    ...provider,
  });
}

/**
 * From a Gatehouse redirect to `upstream`'s /auth: signs in there as `sub` (unless this browser is
 * still signed in at that upstream, which then sends it straight back) and follows Gatehouse's
 * redirects until a page, or a redirect `stopAt` accepts.
 */
export async function throughUpstream(
  browser: Browser,
  upstream: TestUpstream,
  toUpstream: Page,
  sub: string,
  stopAt: (url: string) => boolean = () => false,
): Promise<Page> {
  // An OP's /auth, or a GitHub-like server's /login/oauth/authorize.
  expect(toUpstream.location, toUpstream.body).toMatch(
    new RegExp(`^${upstream.issuer}/(auth|login/oauth/authorize)\\?`),
  );
  const atUpstream = await browser.follow(toUpstream, (url) => !url.startsWith(upstream.issuer));
  const back = atUpstream.location ? atUpstream : await upstream.signIn(browser, atUpstream, sub);
  return browser.follow(back, stopAt);
}

/**
 * On Gatehouse's login page, presses the button of `upstream` and signs in there as `sub`; answers
 * the redirect back to the application, or the page Gatehouse shows instead.
 */
export async function pressUpstreamButton(
  browser: Browser,
  loginPage: Page,
  upstream: TestUpstream,
  sub: string,
): Promise<Page> {
  const toUpstream = await browser.submit(loginPage, `form[action$="/external/${upstream.alias}"]`);
  return throughUpstream(browser, upstream, toUpstream, sub, (url) => url.startsWith(TEST_REDIRECT_URI));
}

/** An application's sign-in where the person presses the button of `upstream`. */
export async function signInThroughUpstream(
  browser: Browser,
  config: oidc.Configuration,
  upstream: TestUpstream,
  sub: string,
): Promise<StartedSignIn> {
  const started = await startAuthorization(browser, config);
  return { ...started, page: await pressUpstreamButton(browser, started.page, upstream, sub) };
}

/** The CSRF token a page carries in its forms. */
export function csrfOf(page: Page): string {
  const token = parse(page.body).querySelector('input[name="_csrf"]')?.getAttribute('value');
  if (!token) throw new Error(`no CSRF token on ${page.url}`);
  return token;
}
