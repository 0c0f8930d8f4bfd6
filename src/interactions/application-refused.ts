import type { Context } from 'koa';
import { actorOf } from '../http/actor.ts';
import { allowedGroupsOf, announceRefusal } from '../oidc/application-access.ts';
import { APPLICATION_ACCESS } from '../oidc/interaction-policy.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import type { InteractionDetails } from './load-interaction.ts';

/** The application this interaction is for, and the groups it admits (empty: everyone). */
export async function applicationOf(
  deps: InteractionDeps,
  details: InteractionDetails,
): Promise<{ clientId: string; allowedGroups: string[] }> {
  const clientId = String(details.params.client_id);
  const client = await deps.host.provider.Client.find(clientId);
  return { clientId, allowedGroups: allowedGroupsOf(client?.metadata()) };
}

/**
 * The page for someone whose account may not use the application: no session is made for it and
 * no tokens are issued; the only way on is back to the application (which hears access_denied).
 */
export async function renderApplicationRefused(
  ctx: Context,
  deps: InteractionDeps,
  details: InteractionDetails,
): Promise<void> {
  const client = await deps.host.provider.Client.find(String(details.params.client_id));
  ctx.status = 403;
  ctx.type = 'html';
  ctx.body = deps.views.render('interactions/application-refused.njk', {
    client: client?.clientName ?? client?.clientId,
    uid: details.uid,
    csrfToken: ctx.state.csrfToken,
  });
}

/**
 * A signed-in user arriving at an application they may not use (their session was made for
 * another one): the same page, and the same audit event, as a refusal at sign-in.
 */
export async function refuseReusedSession(
  ctx: Context,
  deps: InteractionDeps,
  details: InteractionDetails,
): Promise<boolean> {
  const accountId = details.session?.accountId;
  if (!accountId || !details.prompt.reasons.includes(APPLICATION_ACCESS)) return false;
  await announceRefusal(deps.notifications, {
    userId: accountId,
    clientId: String(details.params.client_id),
    stage: 'authorization',
    actor: actorOf(ctx, accountId),
  });
  await renderApplicationRefused(ctx, deps, details);
  return true;
}
