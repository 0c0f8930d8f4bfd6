import { expect } from 'vitest';
import { Browser, type Page } from './browser.ts';
import type { TestGatehouse } from './gatehouse.ts';

/**
 * Opens `path` (an /account or /admin page) in a new or given browser, signs in through the
 * console's own OIDC sign-in with the password form, and returns the page it comes back to.
 */
export async function consoleSignIn(
  gh: TestGatehouse,
  credentials: { email: string; password: string },
  path = '/admin',
  browser = new Browser(),
): Promise<{ browser: Browser; page: Page }> {
  const login = await browser.visit(`${gh.issuer}${path}`);
  expect(login.body, login.body.slice(0, 500)).toContain('form');
  const after = await browser.submit(login, 'form[action$="/login"]', credentials);
  const page = await browser.follow(after);
  return { browser, page };
}
