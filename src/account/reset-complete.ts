import type { Context } from 'koa';
import { z } from 'zod';
import { actorOf } from '../http/actor.ts';
import { parseBody } from '../http/validation.ts';
import type { User } from '../users/user.ts';
import type { AccountDeps } from './account-deps.ts';
import { linkPage, renderPage, requireToken } from './page.ts';
import { describePasswordRules, newPasswordFields, submitNewPassword } from './password-form.ts';
import { refusedForScopedUsers } from './passwords-off.ts';

const completeForm = z.object({ token: z.string().max(1024).default(''), ...newPasswordFields });

function renderResetForm(
  ctx: Context,
  deps: AccountDeps,
  values: { user: User; token: string; problems?: string[] },
): void {
  const problems = values.problems ?? [];
  const page = {
    ...values,
    problems,
    rules: describePasswordRules(deps.views.translator(), deps.userManager),
  };
  renderPage(ctx, deps, 'reset-form.njk', page, problems.length ? 400 : 200);
}

/**
 * GET /reset-password?token=…, the link from the reset email: asks for the new password. The
 * token travels on in the form; it is only used up by a password that is accepted.
 */
export function showResetForm(deps: AccountDeps) {
  return linkPage(
    deps,
    'reset',
    refusedForScopedUsers(deps, async (ctx) => {
      const token = requireToken(ctx.query.token);
      renderResetForm(ctx, deps, { user: await deps.passwordReset.verify(token), token });
    }),
  );
}

/**
 * POST /reset-password/complete: sets the password, unlocks the account and ends every session
 * of the user (the service does both). A refused password shows the form again.
 */
export function completeReset(deps: AccountDeps) {
  return linkPage(deps, 'reset', refusedForScopedUsers(deps, submitReset(deps)));
}

function submitReset(deps: AccountDeps) {
  return async (ctx: Context): Promise<void> => {
    const input = parseBody(ctx, completeForm);
    const token = requireToken(input.token);
    const outcome = await submitNewPassword(deps.views.translator(), input, () =>
      deps.passwordReset.complete(token, input.password, actorOf(ctx)),
    );
    if (!outcome.ok) {
      const user = await deps.passwordReset.verify(token);
      return renderResetForm(ctx, deps, { user, token, problems: outcome.problems });
    }
    renderPage(ctx, deps, 'reset-done.njk', { user: outcome.value });
  };
}
