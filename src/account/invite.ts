import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../errors/app-error.ts';
import { actorOf } from '../http/actor.ts';
import { startBrowserSession } from '../http/browser-session.ts';
import { inviteCookie } from '../http/invite-cookie.ts';
import { parseBody } from '../http/validation.ts';
import type { User } from '../users/user.ts';
import type { AccountDeps } from './account-deps.ts';
import { linkPage, renderPage, requireToken, servedOverHttps } from './page.ts';
import { describePasswordRules, newPasswordFields, submitNewPassword } from './password-form.ts';
import { renderPasswordsOff } from './passwords-off.ts';

/** As long as the JSON API's `verify-invite` grants: time to choose a password, no more. */
const PARTIAL_SIGN_IN_MS = 60 * 60 * 1000;

const inviteForm = z.object(newPasswordFields);

/**
 * The invitation page: a button per upstream provider (accepting by signing in there, which links
 * that identity) and, unless DenyLocalLogin is on, the form to choose a password instead.
 */
async function renderInviteForm(ctx: Context, deps: AccountDeps, user: User, problems: string[] = []) {
  // DenyLocalLogin, for everyone or for the invitee's domain (DENY_LOCAL_LOGIN_DOMAINS).
  const [passwordsOff, providers] = await Promise.all([
    deps.external.registry.denyLocalLoginFor(user.email),
    deps.external.registry.list(),
  ]);
  const localLogin = !passwordsOff;
  const values = {
    user,
    rules: describePasswordRules(deps.views.translator(), deps.userManager),
    problems,
    localLogin,
    providers: providers.map((p) => ({ alias: p.alias, displayName: p.displayName, icon: p.options.icon })),
  };
  renderPage(ctx, deps, 'invite.njk', values, problems.length ? 400 : 200);
}

/**
 * GET /invite?token=…, the link from the invitation email: a good link signs the invitee in
 * partially (the same cookie as the JSON API's `verify-invite`, which `POST /invite/external/:alias`
 * also reads) and asks for a password or an upstream sign-in. The link itself stays unused until
 * either completes.
 */
export function showInvite(deps: AccountDeps) {
  const cookie = inviteCookie(servedOverHttps(deps));
  return linkPage(deps, 'invite', async (ctx) => {
    const token = requireToken(ctx.query.token);
    const user = await deps.invitations.verify(token);
    cookie.set(ctx, token, PARTIAL_SIGN_IN_MS);
    await renderInviteForm(ctx, deps, user);
  });
}

/**
 * POST /invite: sets the password, which approves the invitee, and signs them in. A refused
 * password shows the form again with the reasons, and the link still works.
 */
export function acceptInvite(deps: AccountDeps) {
  const cookie = inviteCookie(servedOverHttps(deps));
  return linkPage(deps, 'invite', async (ctx) => {
    const token = requireToken(cookie.get(ctx));
    const input = parseBody(ctx, inviteForm);
    const invited = await deps.invitations.verify(token);
    if (await deps.external.registry.denyLocalLoginFor(invited.email)) return renderPasswordsOff(ctx, deps);
    const outcome = await submitNewPassword(deps.views.translator(), input, () =>
      deps.signIn.complete(invited, [{ method: 'pwd' }], {
        actor: actorOf(ctx),
        invitation: { token, browserToken: token, password: input.password },
      }),
    );
    if (!outcome.ok) return renderInviteForm(ctx, deps, invited, outcome.problems);
    const signIn = outcome.value;
    if (signIn.status === 'refused') throw new AppError('token_invalid');
    cookie.clear(ctx);
    // An invitee who must enrol a second factor does so at their first sign-in, not signed in here.
    if (signIn.status === 'complete') await startBrowserSession(ctx, deps.sessions, signIn, false);
    renderPage(ctx, deps, 'invite-done.njk', { user: signIn.user, signedIn: signIn.status === 'complete' });
  });
}
