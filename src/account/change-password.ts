import type { Context } from 'koa';
import { z } from 'zod';
import { actorOf } from '../http/actor.ts';
import { findSignedIn } from '../http/current-session.ts';
import { parseBody } from '../http/validation.ts';
import type { User } from '../users/user.ts';
import type { AccountDeps } from './account-deps.ts';
import { renderSignedOut } from './account-page.ts';
import { renderPage } from './page.ts';
import { describePasswordRules, newPasswordFields, submitNewPassword } from './password-form.ts';
import { renderPasswordsOff } from './passwords-off.ts';

const changeForm = z.object({ currentPassword: z.string().max(1024).default(''), ...newPasswordFields });

function renderChangeForm(ctx: Context, deps: AccountDeps, user: User, problems: string[] = []): void {
  const values = { user, rules: describePasswordRules(deps.views.translator(), deps.userManager), problems };
  renderPage(ctx, deps, 'change-password.njk', values, problems.length ? 400 : 200);
}

/** GET /account/password */
export function showChangePassword(deps: AccountDeps) {
  return async (ctx: Context): Promise<void> => {
    const signedIn = await findSignedIn(ctx, deps);
    if (!signedIn) return renderSignedOut(ctx, deps);
    if (await deps.external.registry.denyLocalLoginFor(signedIn.user.email))
      return renderPasswordsOff(ctx, deps);
    renderChangeForm(ctx, deps, signedIn.user);
  };
}

/**
 * POST /account/password: the current password is required; the user manager ends every other
 * session of the user and keeps this one.
 */
export function changePassword(deps: AccountDeps) {
  return async (ctx: Context): Promise<void> => {
    const signedIn = await findSignedIn(ctx, deps);
    if (!signedIn) return renderSignedOut(ctx, deps);
    const { user, session } = signedIn;
    // DENY_LOCAL_LOGIN_DOMAINS: a password its owner may not sign in with is not theirs to change.
    if (await deps.external.registry.denyLocalLoginFor(user.email)) return renderPasswordsOff(ctx, deps);
    const input = parseBody(ctx, changeForm);
    const outcome = await submitNewPassword(deps.views.translator(), input, () =>
      deps.userManager.changePassword(user.id, input.currentPassword, input.password, {
        actor: actorOf(ctx, user.id),
        keepSessionId: session.id,
      }),
    );
    if (!outcome.ok) return renderChangeForm(ctx, deps, user, outcome.problems);
    renderPage(ctx, deps, 'password-changed.njk');
  };
}
