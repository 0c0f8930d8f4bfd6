import type { Context } from 'koa';
import { z } from 'zod';
import type { Gatehouse } from '../../container.ts';
import { AppError } from '../../errors/app-error.ts';
import { actorOf } from '../../http/actor.ts';
import { findSignedIn, requireRecentSignIn, type SignedIn } from '../../http/current-session.ts';
import { parseBody } from '../../http/validation.ts';
import { pageMessage } from '../../i18n/page-message.ts';
import { renderSignedOut } from '../account-page.ts';
import { renderPage } from '../page.ts';
import { isReauthenticationRequired, sendToReauthentication } from '../reauthenticate.ts';

export type TwoFactorPageDeps = Pick<
  Gatehouse,
  'views' | 'sessions' | 'userManager' | 'twoFactor' | 'external' | 'settings'
>;

type Handler = (ctx: Context, signedIn: SignedIn) => Promise<void>;

/** Turning a method on or new recovery codes: a recent sign-in, since no factor is re-entered. */
const PRIVILEGED = { privileged: true };

/** Runs `handler` for a signed-in user; a refusal from the service re-renders the overview with it. */
function signedInPage(deps: TwoFactorPageDeps, handler: Handler, options: { privileged?: boolean } = {}) {
  return async (ctx: Context): Promise<void> => {
    const signedIn = await findSignedIn(ctx, deps);
    if (!signedIn) return renderSignedOut(ctx, deps);
    if (!deps.twoFactor.supported) throw AppError.keyed('not_found', 'error.twoFactor.off');
    try {
      if (options.privileged) requireRecentSignIn(signedIn, deps.settings.privilegedSessionMaxAgeSeconds);
      await handler(ctx, signedIn);
    } catch (error) {
      // A form posted from a stale session comes back to the overview once signed in again.
      if (isReauthenticationRequired(error))
        return sendToReauthentication(ctx, ctx.method === 'GET' ? ctx.originalUrl : '/account/two-factor');
      // A rate limit's refusal is the 429 page with Retry-After, not a message on the overview.
      if (!(error instanceof AppError) || error.status >= 500 || error.code === 'rate_limited') throw error;
      await renderOverview(
        ctx,
        deps,
        signedIn,
        { error: pageMessage(deps.views.translator(), error) },
        error.status,
      );
    }
  };
}

async function renderOverview(
  ctx: Context,
  deps: TwoFactorPageDeps,
  { user }: SignedIn,
  message: Record<string, string> = {},
  status = 200,
) {
  const providers = await deps.twoFactor.enabledProviders(user);
  renderPage(
    ctx,
    deps,
    'two-factor/overview.njk',
    {
      providers,
      enabled: providers.length > 0,
      mandatory: deps.twoFactor.isMandatoryFor(user),
      remaining: await deps.twoFactor.remainingRecoveryCodes(user),
      hasPassword: user.hasPassword,
      ...message,
    },
    status,
  );
}

/** GET /account/two-factor */
export const showTwoFactor = (deps: TwoFactorPageDeps) =>
  signedInPage(deps, (ctx, s) => renderOverview(ctx, deps, s));

/** GET /account/two-factor/authenticator — the QR code and key of a new (pending) authenticator. */
export const showAuthenticatorSetup = (deps: TwoFactorPageDeps) =>
  signedInPage(
    deps,
    async (ctx, { user }) => {
      renderPage(ctx, deps, 'two-factor/authenticator.njk', {
        enrolment: await deps.twoFactor.beginTotp(user),
      });
    },
    PRIVILEGED,
  );

const codeForm = z.object({ code: z.string().trim().min(1, 'form.enterCode').max(64) });

/** POST /account/two-factor/authenticator — confirms it with a code; recovery codes shown once. */
export const confirmAuthenticator = (deps: TwoFactorPageDeps) =>
  signedInPage(
    deps,
    async (ctx, { user }) => {
      const { code } = parseBody(ctx, codeForm);
      try {
        const { recoveryCodes } = await deps.twoFactor.confirmTotp(user, code, actorOf(ctx, user.id));
        renderPage(ctx, deps, 'two-factor/enabled.njk', { recoveryCodes });
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== 'invalid_input') throw error;
        const enrolment = await deps.twoFactor.beginTotp(user);
        renderPage(
          ctx,
          deps,
          'two-factor/authenticator.njk',
          { enrolment, error: pageMessage(deps.views.translator(), error) },
          400,
        );
      }
    },
    PRIVILEGED,
  );

/** POST /account/two-factor/email — sends a code to confirm that email codes reach the user. */
export const startEmailCodes = (deps: TwoFactorPageDeps) =>
  signedInPage(
    deps,
    async (ctx, { user }) => {
      await deps.twoFactor.beginEmail(user, actorOf(ctx, user.id));
      renderPage(ctx, deps, 'two-factor/email.njk', { email: user.email });
    },
    PRIVILEGED,
  );

/** POST /account/two-factor/email/confirm */
export const confirmEmailCodes = (deps: TwoFactorPageDeps) =>
  signedInPage(
    deps,
    async (ctx, { user }) => {
      const { code } = parseBody(ctx, codeForm);
      try {
        const { recoveryCodes } = await deps.twoFactor.confirmEmail(user, code, actorOf(ctx, user.id));
        renderPage(ctx, deps, 'two-factor/enabled.njk', { recoveryCodes });
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== 'invalid_input') throw error;
        renderPage(
          ctx,
          deps,
          'two-factor/email.njk',
          { email: user.email, error: pageMessage(deps.views.translator(), error) },
          400,
        );
      }
    },
    PRIVILEGED,
  );

/** POST /account/two-factor/recovery-codes — a new set; the old one stops working. */
export const regenerateRecoveryCodes = (deps: TwoFactorPageDeps) =>
  signedInPage(
    deps,
    async (ctx, { user }) => {
      const recoveryCodes = await deps.twoFactor.regenerateRecoveryCodes(user, actorOf(ctx, user.id));
      renderPage(ctx, deps, 'two-factor/enabled.njk', { recoveryCodes, regenerated: true });
    },
    PRIVILEGED,
  );

const disableForm = z.object({
  password: z.string().max(1024).default(''),
  provider: z.enum(['totp', 'email', 'recovery']).default('totp'),
  code: z.string().trim().min(1, 'form.enterACode').max(64),
});

/** POST /account/two-factor/disable — needs the password and a current code. */
export const disableTwoFactor = (deps: TwoFactorPageDeps) =>
  signedInPage(deps, async (ctx, signedIn) => {
    const input = parseBody(ctx, disableForm);
    await deps.twoFactor.disable(
      signedIn.user,
      input.password,
      input.provider,
      input.code,
      actorOf(ctx, signedIn.user.id),
    );
    await renderOverview(ctx, deps, signedIn, {
      notice: deps.views.translator()('account.twoFactor.turnedOff'),
    });
  });
