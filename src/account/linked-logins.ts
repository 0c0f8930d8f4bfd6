import type { Context } from 'koa';
import { unlinkLoginBody } from '../api/auth/unlink-login.ts';
import { AppError } from '../errors/app-error.ts';
import { actorOf } from '../http/actor.ts';
import { findSignedIn, requireRecentSignIn } from '../http/current-session.ts';
import { parseBody } from '../http/validation.ts';
import { pageMessage } from '../i18n/page-message.ts';
import type { User } from '../users/user.ts';
import type { AccountDeps } from './account-deps.ts';
import { renderSignedOut } from './account-page.ts';
import { renderPage } from './page.ts';
import { isReauthenticationRequired, sendToReauthentication } from './reauthenticate.ts';

interface Outcome {
  notice?: string;
  problems?: string[];
}

/** Each provider with this user's links to it, and whether the user may change them here. */
async function providerRows(deps: AccountDeps, user: User) {
  const [providers, links] = await Promise.all([
    deps.external.registry.list(),
    deps.external.service.linksOf(user),
  ]);
  return providers.map((p) => ({
    alias: p.alias,
    displayName: p.displayName,
    manual: p.options.allowManualLinking,
    links: links
      .filter((l) => l.providerAlias === p.alias)
      .map((l) => ({ subject: l.subject, email: l.email })),
  }));
}

async function renderLinkedLogins(ctx: Context, deps: AccountDeps, user: User, outcome: Outcome = {}) {
  const problems = outcome.problems ?? [];
  const values = { user, providers: await providerRows(deps, user), notice: outcome.notice, problems };
  renderPage(ctx, deps, 'linked-logins.njk', values, problems.length ? 400 : 200);
}

/** GET /account/linked-logins: every provider, with Link or Unlink where the user may do either. */
export function showLinkedLogins(deps: AccountDeps) {
  return async (ctx: Context): Promise<void> => {
    const signedIn = await findSignedIn(ctx, deps);
    if (!signedIn) return renderSignedOut(ctx, deps);
    await renderLinkedLogins(ctx, deps, signedIn.user);
  };
}

/**
 * POST /account/linked-logins/unlink: the page's Unlink button. A refusal (manual linking off, the
 * last way to sign in, a link that is not the user's) is shown on the page with a 400.
 */
export function unlinkFromPage(deps: AccountDeps) {
  return async (ctx: Context): Promise<void> => {
    const signedIn = await findSignedIn(ctx, deps);
    if (!signedIn) return renderSignedOut(ctx, deps);
    const { user } = signedIn;
    const input = parseBody(ctx, unlinkLoginBody);
    const provider = await deps.external.registry.find(input.loginProvider);
    try {
      requireRecentSignIn(signedIn, deps.settings.privilegedSessionMaxAgeSeconds);
      await deps.external.service.unlink(user, input.loginProvider, input.providerKey, actorOf(ctx, user.id));
    } catch (error) {
      if (isReauthenticationRequired(error)) return sendToReauthentication(ctx, '/account/linked-logins');
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      return renderLinkedLogins(ctx, deps, user, { problems: [pageMessage(deps.views.translator(), error)] });
    }
    const name = provider?.displayName ?? input.loginProvider;
    await renderLinkedLogins(ctx, deps, user, { notice: `${name} is unlinked from your account.` });
  };
}
