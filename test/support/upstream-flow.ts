import { parse } from 'node-html-parser';
import type * as oidc from 'openid-client';
import { expect } from 'vitest';
import type { Browser, Page } from './browser.ts';
import { type StartedSignIn, startAuthorization, TEST_REDIRECT_URI } from './sign-in-flow.ts';
import type { UpstreamOp } from './upstream-op.ts';

/**
 * From a Gatehouse redirect to `upstream`'s /auth: signs in there as `sub` (unless this browser is
 * still signed in at that upstream, which then sends it straight back) and follows Gatehouse's
 * redirects until a page, or a redirect `stopAt` accepts.
 */
export async function throughUpstream(
  browser: Browser,
  upstream: UpstreamOp,
  toUpstream: Page,
  sub: string,
  stopAt: (url: string) => boolean = () => false,
): Promise<Page> {
  expect(toUpstream.location, toUpstream.body).toMatch(new RegExp(`^${upstream.issuer}/auth\\?`));
  const atUpstream = await browser.follow(toUpstream, (url) => !url.startsWith(upstream.issuer));
  const back = atUpstream.location ? atUpstream : await upstream.signIn(browser, atUpstream, sub);
  return browser.follow(back, stopAt);
}

/** An application's sign-in where the person presses the button of provider `alias`. */
export async function signInThroughUpstream(
  browser: Browser,
  config: oidc.Configuration,
  alias: string,
  upstream: UpstreamOp,
  sub: string,
): Promise<StartedSignIn> {
  const started = await startAuthorization(browser, config);
  const toUpstream = await browser.submit(started.page, `form[action$="/external/${alias}"]`);
  const page = await throughUpstream(browser, upstream, toUpstream, sub, (url) =>
    url.startsWith(TEST_REDIRECT_URI),
  );
  return { ...started, page };
}

/** The CSRF token a page carries in its forms. */
export function csrfOf(page: Page): string {
  const token = parse(page.body).querySelector('input[name="_csrf"]')?.getAttribute('value');
  if (!token) throw new Error(`no CSRF token on ${page.url}`);
  return token;
}
