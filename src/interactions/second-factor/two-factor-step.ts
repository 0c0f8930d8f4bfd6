import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../../errors/app-error.ts';
import { actorOf } from '../../http/actor.ts';
import { parseBody } from '../../http/validation.ts';
import { pageMessage } from '../../i18n/page-message.ts';
import type { CompletedFactor } from '../../sign-in/factors.ts';
import type { TwoFactorProvider } from '../../users/two-factor/two-factor-service.ts';
import type { User } from '../../users/user.ts';
import type { InteractionDeps } from '../interaction-deps.ts';
import { type InteractionDetails, loadInteraction } from '../load-interaction.ts';
import { continueSignIn } from './complete-sign-in.ts';
import { type PendingSecondFactor, pendingSecondFactor, savePendingSecondFactor } from './pending.ts';

export async function renderSecondFactor(
  ctx: Context,
  deps: InteractionDeps,
  details: InteractionDetails,
  pending: PendingSecondFactor,
  message: { error?: string; notice?: string; method?: string } = {},
): Promise<void> {
  const user = await requireUser(deps, pending);
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  if (pending.mode === 'enrol') {
    ctx.body = deps.views.render('interactions/two-factor-enrol.njk', {
      uid: details.uid,
      csrfToken: ctx.state.csrfToken,
      enrolment: await deps.twoFactor.beginTotp(user),
      ...message,
    });
    return;
  }
  ctx.body = deps.views.render('interactions/two-factor.njk', {
    uid: details.uid,
    csrfToken: ctx.state.csrfToken,
    providers: await deps.twoFactor.enabledProviders(user),
    ...message,
  });
}

const verifyForm = z.object({
  provider: z.enum(['totp', 'email', 'recovery']).default('totp'),
  code: z.string().trim().min(1, 'form.enterCode').max(64),
});

/** POST /interaction/:uid/two-factor — checks the code; a wrong one counts towards lockout. */
export function submitSecondFactor(deps: InteractionDeps) {
  return async (ctx: Context): Promise<void> => {
    const { details, pending } = await loadPending(ctx, deps, 'verify');
    const input = parseBody(ctx, verifyForm);
    const user = await requireUser(deps, pending);
    const outcome = await deps.twoFactor.verify(user, input.provider, input.code, actorOf(ctx));
    if (!outcome.ok) {
      ctx.status = 400;
      // The method stays chosen, so a second try with the same kind of code needs no extra click.
      await renderSecondFactor(ctx, deps, details, pending, {
        error: deps.views.translator()('twoFactor.wrongCode'),
        method: input.provider,
      });
      return;
    }
    const factors = [...pending.factors, secondFactorOf(outcome.provider)];
    if (outcome.remainingRecoveryCodes !== undefined) {
      // A recovery code was spent: say how many are left before going on, so nobody runs out unaware.
      await savePendingSecondFactor(ctx, deps.host.provider, { ...pending, factors, satisfied: true });
      ctx.type = 'html';
      ctx.set('Cache-Control', 'no-store');
      ctx.body = deps.views.render('interactions/recovery-code-used.njk', {
        uid: details.uid,
        csrfToken: ctx.state.csrfToken,
        remaining: outcome.remainingRecoveryCodes,
      });
      return;
    }
    await finishWithSecondFactor(ctx, deps, details, { ...pending, factors }, user, true);
  };
}

/** POST /interaction/:uid/two-factor/send — emails a code (only to a user who chose email codes). */
export function sendSecondFactorCode(deps: InteractionDeps) {
  return async (ctx: Context): Promise<void> => {
    const { details, pending } = await loadPending(ctx, deps, 'verify');
    const user = await requireUser(deps, pending);
    if (!(await deps.twoFactor.enabledProviders(user)).includes('email')) throw new AppError('forbidden');
    await deps.twoFactor.sendEmailCode(user, actorOf(ctx));
    // The emailed code is what the person types next: choose its method for them.
    await renderSecondFactor(ctx, deps, details, pending, {
      notice: deps.views.translator()('twoFactor.sent', { email: user.email }),
      method: 'email',
    });
  };
}

const enrolForm = z.object({ code: z.string().trim().min(1, 'form.enterAppCode').max(16) });

/** POST /interaction/:uid/two-factor/enrol — confirms the new authenticator and shows recovery codes once. */
export function confirmEnrolment(deps: InteractionDeps) {
  return async (ctx: Context): Promise<void> => {
    const { details, pending } = await loadPending(ctx, deps, 'enrol');
    const user = await requireUser(deps, pending);
    const { code } = parseBody(ctx, enrolForm);
    let recoveryCodes: string[] | undefined;
    try {
      ({ recoveryCodes } = await deps.twoFactor.confirmTotp(user, code, actorOf(ctx)));
    } catch (error) {
      // A refused check (rate_limited) is a 429 with Retry-After, not a wrong code.
      if (!(error instanceof AppError) || error.code === 'rate_limited') throw error;
      ctx.status = 400;
      await renderSecondFactor(ctx, deps, details, pending, {
        error: pageMessage(deps.views.translator(), error),
      });
      return;
    }
    // A confirmed authenticator code is the second factor of this sign-in.
    const factors: CompletedFactor[] = [...pending.factors, { method: 'otp' }];
    await savePendingSecondFactor(ctx, deps.host.provider, {
      ...pending,
      factors,
      mode: 'verify',
      satisfied: true,
    });
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deps.views.render('interactions/recovery-codes.njk', {
      uid: details.uid,
      csrfToken: ctx.state.csrfToken,
      recoveryCodes,
    });
  };
}

/** POST /interaction/:uid/two-factor/continue — after the recovery codes were shown. */
export function continueAfterEnrolment(deps: InteractionDeps) {
  return async (ctx: Context): Promise<void> => {
    const { details, pending } = await loadPending(ctx, deps, 'verify');
    if (!pending.satisfied) throw new AppError('interaction_expired');
    await finishWithSecondFactor(ctx, deps, details, pending, await requireUser(deps, pending));
  };
}

function secondFactorOf(provider: TwoFactorProvider): CompletedFactor {
  if (provider === 'totp') return { method: 'otp' };
  return { method: provider };
}

/** Every factor is in: the pipeline decides the rest; a refusal here means the sign-in is void. */
async function finishWithSecondFactor(
  ctx: Context,
  deps: InteractionDeps,
  details: InteractionDetails,
  pending: PendingSecondFactor,
  user: User,
  reserved = false,
): Promise<void> {
  const attempt = reserved ? { reserved: true as const, current: false } : undefined;
  const refusal = await continueSignIn(ctx, deps, details, { ...pending, user, attempt });
  if (refusal) throw AppError.worded('interaction_expired', refusal);
}

async function loadPending(ctx: Context, deps: InteractionDeps, mode: PendingSecondFactor['mode']) {
  const details = await loadInteraction(ctx, deps.host.provider);
  const pending = pendingSecondFactor(details);
  if (!pending || pending.mode !== mode) throw new AppError('interaction_expired');
  return { details, pending };
}

async function requireUser(deps: InteractionDeps, pending: PendingSecondFactor): Promise<User> {
  const user = await deps.twoFactor.userById(pending.accountId);
  if (user?.status !== 'active') throw new AppError('interaction_expired');
  return user;
}
