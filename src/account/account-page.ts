import type { Context } from 'koa';
import { signInUrl } from '../admin/console-sign-in.ts';
import { findSignedIn } from '../http/current-session.ts';
import { localLoginAllowed } from '../http/local-login-guard.ts';
import { currentLocale } from '../i18n/request-locale.ts';
import { ADMIN_GROUP } from '../users/user.ts';
import type { AccountDeps } from './account-deps.ts';
import { renderPage } from './page.ts';

// In the reader's language, in UTC: the server does not know the reader's time zone.
const dateTime = () =>
  new Intl.DateTimeFormat(currentLocale() === 'en' ? 'en-GB' : currentLocale(), {
    dateStyle: 'long',
    timeStyle: 'short',
    timeZone: 'UTC',
  });

/**
 * Someone not signed in who opens an account page starts a sign-in through the console client and
 * comes back to it. A form posted without a session gets the 401 page, which says how to get signed
 * in rather than just "no" (and offers the password reset only while passwords are in use).
 */
export async function renderSignedOut(
  ctx: Context,
  deps: Pick<AccountDeps, 'views' | 'external'>,
): Promise<void> {
  if (ctx.method === 'GET') return ctx.redirect(signInUrl(ctx.originalUrl));
  const localLogin = await localLoginAllowed(deps.external.registry);
  renderPage(ctx, deps, 'signed-out.njk', { localLogin }, 401);
}

/** GET /account: the signed-in user's own page. */
export function showAccount(deps: AccountDeps) {
  return async (ctx: Context): Promise<void> => {
    const signedIn = await findSignedIn(ctx, deps);
    if (!signedIn) return renderSignedOut(ctx, deps);
    const { user } = signedIn;
    const [denied, providers] = await Promise.all([
      deps.external.registry.denyLocalLoginFor(user.email),
      deps.external.registry.list(),
    ]);
    const localLogin = !denied;
    renderPage(ctx, deps, 'profile.njk', {
      user,
      lastLogin: user.lastLoginAt
        ? { iso: user.lastLoginAt.toISOString(), text: `${dateTime().format(user.lastLoginAt)} UTC` }
        : undefined,
      // Changing needs the current password: nothing to offer to someone who signs in elsewhere.
      localLogin,
      canChangePassword: localLogin && user.hasPassword,
      hasProviders: providers.length > 0,
      isAdmin: user.groups.includes(ADMIN_GROUP),
    });
  };
}
