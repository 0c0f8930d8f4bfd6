import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../errors/app-error.ts';
import { actorOf } from '../http/actor.ts';
import { parseBody } from '../http/validation.ts';
import { breakGlassOf } from './break-glass.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import { type InteractionDetails, loadInteraction } from './load-interaction.ts';
import { continueSignIn } from './second-factor/complete-sign-in.ts';

const loginForm = z.object({
  email: z.string().trim().min(1, 'form.enterEmail').max(320),
  password: z.string().min(1, 'form.enterPassword').max(1024),
  remember: z.string().optional(),
});

export async function renderLogin(
  ctx: Context,
  deps: InteractionDeps,
  details: InteractionDetails,
  form: { email?: string; error?: string } = {},
): Promise<void> {
  const client = await deps.host.provider.Client.find(String(details.params.client_id));
  const providers = await deps.external.registry.list();
  const breakGlass = breakGlassOf(ctx, deps) !== undefined;
  ctx.type = 'html';
  ctx.body = deps.views.render('interactions/login.njk', {
    uid: details.uid,
    csrfToken: ctx.state.csrfToken,
    client: client?.clientName ?? client?.clientId,
    email: form.email ?? (typeof details.params.login_hint === 'string' ? details.params.login_hint : ''),
    error: form.error,
    // Buttons need no discovery: an unreachable upstream shows its error only when pressed.
    providers: providers.map((p) => ({ alias: p.alias, displayName: p.displayName, icon: p.options.icon })),
    localLogin: breakGlass || !(await deps.external.registry.denyLocalLogin()),
    breakGlass,
  });
}

/** POST /interaction/:uid/login — the password step. */
export function submitLogin(deps: InteractionDeps) {
  return async (ctx: Context): Promise<void> => {
    const provider = deps.host.provider;
    const details = await loadInteraction(ctx, provider);
    if (details.prompt.name !== 'login')
      throw AppError.keyed('invalid_input', 'interaction.notWaitingForPassword');
    const input = parseBody(ctx, loginForm);
    // Said before the password is checked: the domain is in what was typed, so it tells nothing.
    if (!breakGlassOf(ctx, deps) && (await deps.external.registry.denyLocalLoginFor(input.email))) {
      ctx.status = 403;
      const error = deps.views.translator()('login.passwordsOff');
      await renderLogin(ctx, deps, details, { email: input.email, error });
      return;
    }
    const result = await deps.signInManager.passwordSignIn(input.email, input.password, actorOf(ctx));
    if (!result.ok) {
      ctx.status = 400;
      await renderLogin(ctx, deps, details, {
        email: input.email,
        error: deps.views.translator()('error.code.invalid_credentials'),
      });
      return;
    }
    const refusal = await continueSignIn(ctx, deps, details, {
      user: result.user,
      factors: [{ method: 'pwd' }],
      attempt: { reserved: true, current: true },
      // Without "keep me signed in" the session cookie ends with the browser, as in Keycloak.
      remember: input.remember === 'on',
    });
    if (refusal) {
      ctx.status = 400;
      await renderLogin(ctx, deps, details, {
        email: input.email,
        error: deps.views.translator()('error.code.invalid_credentials'),
      });
    }
  };
}
