import type { Context, Middleware } from 'koa';
import { AppError } from '../errors/app-error.ts';
import { localLoginGuard } from '../http/local-login-guard.ts';
import type { AccountDeps } from './account-deps.ts';
import { renderPage } from './page.ts';

/** The 403 page saying that passwords are off and how to sign in instead. */
export async function renderPasswordsOff(ctx: Context, deps: AccountDeps): Promise<void> {
  const providers = (await deps.external.registry.list()).map((p) => p.displayName);
  renderPage(ctx, deps, 'passwords-off.njk', { providers }, 403);
}

/**
 * The account pages' side of DenyLocalLogin: a page that sets, resets or changes a password is
 * replaced, for GET and POST alike, by a 403 page saying that passwords are off and how to sign in.
 */
export function passwordPagesGuard(deps: AccountDeps): Middleware {
  return localLoginGuard(deps.external.registry, (ctx) => renderPasswordsOff(ctx, deps));
}

/**
 * DENY_LOCAL_LOGIN_DOMAINS, known only once the user is: a handler whose user is in such a domain
 * (the services' `local_login_denied`) gets the same 403 page as under DenyLocalLogin for all.
 */
export function refusedForScopedUsers(deps: AccountDeps, handler: (ctx: Context) => Promise<void>) {
  return async (ctx: Context): Promise<void> => {
    try {
      await handler(ctx);
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'local_login_denied')) throw error;
      await renderPasswordsOff(ctx, deps);
    }
  };
}
