import type { Middleware } from 'koa';
import { localLoginGuard } from '../http/local-login-guard.ts';
import type { AccountDeps } from './account-deps.ts';
import { renderPage } from './page.ts';

/**
 * The account pages' side of DenyLocalLogin: a page that sets, resets or changes a password is
 * replaced, for GET and POST alike, by a 403 page saying that passwords are off and how to sign in.
 */
export function passwordPagesGuard(deps: AccountDeps): Middleware {
  return localLoginGuard(deps.external.registry, async (ctx) => {
    const providers = (await deps.external.registry.list()).map((p) => p.displayName);
    renderPage(ctx, deps, 'passwords-off.njk', { providers }, 403);
  });
}
