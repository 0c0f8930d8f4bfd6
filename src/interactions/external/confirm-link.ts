import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../../errors/app-error.ts';
import type { ExternalProvider } from '../../external-logins/external-provider.ts';
import type { UpstreamIdentity } from '../../external-logins/upstream-identity.ts';
import { actorOf } from '../../http/actor.ts';
import { parseBody } from '../../http/validation.ts';
import { upstreamFactor } from '../../sign-in/factors.ts';
import type { User } from '../../users/user.ts';
import type { InteractionDeps } from '../interaction-deps.ts';
import { type InteractionDetails, loadInteraction } from '../load-interaction.ts';
import { continueSignIn } from '../second-factor/complete-sign-in.ts';

/**
 * An upstream identity that matches an existing account with another way in (or one in a
 * protected group): the link waits, kept in the interaction's server-side result, until the
 * account's owner proves it is theirs with the account's password, or with a code mailed to the
 * account's address — then the usual second factor follows. Keycloak's "first broker login"
 * review, made the default.
 */
export interface PendingLink {
  accountId: string;
  providerAlias: string;
  identity: UpstreamIdentity;
  externalSessionId: number;
}

const KEY = 'gatehouseLinkConfirmation';
const form = z
  .object({
    password: z.string().max(1024).optional(),
    code: z.string().trim().max(16).optional(),
  })
  .refine((f) => f.password || f.code, 'form.passwordOrCode');

/** How the confirmation page is shown: after a wrong password or code, or once a code was sent. */
interface ConfirmLinkState {
  linkInvalid?: boolean;
  wrongPassword?: boolean;
  wrongCode?: boolean;
  codeSent?: boolean;
}

export function pendingLink(details: InteractionDetails): PendingLink | undefined {
  const pending = (details.result as Record<string, unknown> | undefined)?.[KEY] as PendingLink | undefined;
  return pending?.accountId ? pending : undefined;
}

export async function askToConfirmLink(
  ctx: Context,
  deps: InteractionDeps,
  details: InteractionDetails,
  pending: PendingLink,
): Promise<void> {
  await deps.host.provider.interactionResult(
    ctx.req,
    ctx.res,
    { [KEY]: pending },
    { mergeWithLastSubmission: false },
  );
  ctx.status = 303;
  ctx.redirect(`/interaction/${details.uid}`);
}

export async function renderConfirmLink(
  ctx: Context,
  deps: InteractionDeps,
  details: InteractionDetails,
  pending: PendingLink,
  state: ConfirmLinkState = {},
): Promise<void> {
  const { user, provider } = await loaded(deps, pending);
  const passwordsOff = await deps.external.registry.denyLocalLoginFor(user.email);
  ctx.type = 'html';
  ctx.body = deps.views.render('interactions/confirm-link.njk', {
    uid: details.uid,
    csrfToken: ctx.state.csrfToken,
    provider: provider.displayName,
    email: user.email,
    withPassword: user.hasPassword && !passwordsOff,
    ...state,
  });
}

/** POST /interaction/:uid/confirm-link/email-code — mails a code and a link to the account's address. */
export function sendConfirmLinkCode(deps: InteractionDeps) {
  return async (ctx: Context): Promise<void> => {
    const { details, pending } = await waitingLink(ctx, deps);
    const { user } = await loaded(deps, pending);
    // The mail carries a link too, good only for this sign-in (and, by its cookie, this browser).
    const url = (token: string) =>
      `${deps.host.provider.issuer}/interaction/${details.uid}/confirm-link/email?token=${encodeURIComponent(token)}`;
    await deps.twoFactor.sendEmailCode(user, actorOf(ctx), { bindTo: details.uid, url });
    await renderConfirmLink(ctx, deps, details, pending, { codeSent: true });
  };
}

/**
 * POST /interaction/:uid/confirm-link — the account's password, or the code mailed to its address,
 * proves the link may be made.
 */
export function submitConfirmLink(deps: InteractionDeps) {
  return async (ctx: Context): Promise<void> => {
    const { details, pending } = await waitingLink(ctx, deps);
    const input = parseBody(ctx, form);
    const { user, provider } = await loaded(deps, pending);
    if (!input.password) {
      await confirmByMailbox(ctx, deps, details, pending, input.code ?? '');
      return;
    }
    if (await deps.external.registry.denyLocalLoginFor(user.email)) throw new AppError('local_login_denied');
    const checked = await deps.signInManager.passwordSignIn(user.email, input.password, actorOf(ctx));
    if (!checked.ok || checked.user.id !== user.id) {
      ctx.status = 400;
      await renderConfirmLink(ctx, deps, details, pending, { wrongPassword: true });
      return;
    }
    // The link itself is the pipeline's last step: no link unless the whole sign-in completes.
    const refusal = await continueSignIn(ctx, deps, details, {
      user: checked.user,
      factors: [upstreamFactor(provider, pending.identity.claims), { method: 'pwd' }],
      remember: false,
      upstream: { provider, identity: pending.identity },
      externalSessionId: pending.externalSessionId,
      link: { providerAlias: provider.alias, identity: pending.identity },
      // The password was an access attempt: the pipeline completes or releases it.
      attempt: { reserved: true, current: false },
    });
    if (refusal) throw AppError.worded('forbidden', refusal);
  };
}

/** A code from the account's mailbox proves the link; the account's second factor still follows. */
async function confirmByMailbox(
  ctx: Context,
  deps: InteractionDeps,
  details: InteractionDetails,
  pending: PendingLink,
  code: string,
): Promise<void> {
  const { user } = await loaded(deps, pending);
  if (!(await deps.twoFactor.proveMailbox(user, code, actorOf(ctx)))) {
    ctx.status = 400;
    await renderConfirmLink(ctx, deps, details, pending, { wrongCode: true, codeSent: true });
    return;
  }
  await linkAfterMailboxProof(ctx, deps, details, pending);
}

/** The mailbox is proven (code or link): the sign-in goes on, the account's second factor next. */
export async function linkAfterMailboxProof(
  ctx: Context,
  deps: InteractionDeps,
  details: InteractionDetails,
  pending: PendingLink,
): Promise<void> {
  const { user, provider } = await loaded(deps, pending);
  const refusal = await continueSignIn(ctx, deps, details, {
    user,
    factors: [upstreamFactor(provider, pending.identity.claims)],
    remember: false,
    upstream: { provider, identity: pending.identity },
    externalSessionId: pending.externalSessionId,
    link: { providerAlias: provider.alias, identity: pending.identity },
  });
  if (refusal) throw AppError.worded('forbidden', refusal);
}

export async function waitingLink(
  ctx: Context,
  deps: InteractionDeps,
): Promise<{ details: InteractionDetails; pending: PendingLink }> {
  const details = await loadInteraction(ctx, deps.host.provider);
  const pending = pendingLink(details);
  if (!pending || details.prompt.name !== 'login') throw new AppError('interaction_expired');
  return { details, pending };
}

export async function loaded(
  deps: InteractionDeps,
  pending: PendingLink,
): Promise<{ user: User; provider: ExternalProvider }> {
  const user = await deps.twoFactor.userById(pending.accountId);
  const provider = await deps.external.registry.find(pending.providerAlias);
  if (!user || !provider) throw new AppError('interaction_expired');
  return { user, provider };
}
