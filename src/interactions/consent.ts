import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../errors/app-error.ts';
import { parseBody } from '../http/validation.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import { finishInteraction, type InteractionDetails, loadInteraction } from './load-interaction.ts';

/** The scopes a person is asked about, each described in their language (`consent.scope.*`). */
const DESCRIBED_SCOPES = new Set(['openid', 'profile', 'email', 'groups', 'offline_access']);

export async function renderConsent(
  ctx: Context,
  deps: InteractionDeps,
  details: InteractionDetails,
): Promise<void> {
  const client = await deps.host.provider.Client.find(String(details.params.client_id));
  const missing = (details.prompt.details.missingOIDCScope as string[] | undefined) ?? [];
  const t = deps.views.translator();
  ctx.type = 'html';
  ctx.body = deps.views.render('interactions/consent.njk', {
    uid: details.uid,
    csrfToken: ctx.state.csrfToken,
    client: client?.clientName ?? client?.clientId,
    scopes: missing.map((s) => ({
      name: s,
      description: DESCRIBED_SCOPES.has(s) ? t(`consent.scope.${s}`) : s,
    })),
  });
}

const consentForm = z.object({ decision: z.enum(['allow', 'deny']) });

/** POST /interaction/:uid/consent — grants what the client asked for, or refuses it. */
export function submitConsent(deps: InteractionDeps) {
  return async (ctx: Context): Promise<void> => {
    const provider = deps.host.provider;
    const details = await loadInteraction(ctx, provider);
    if (details.prompt.name !== 'consent' || !details.session?.accountId) {
      throw AppError.keyed('invalid_input', 'interaction.notWaitingForConsent');
    }
    const { decision } = parseBody(ctx, consentForm);
    if (decision === 'deny') {
      await finishInteraction(ctx, provider, {
        error: 'access_denied',
        error_description: 'The user refused access.',
      });
      return;
    }
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({
          accountId: details.session.accountId,
          clientId: String(details.params.client_id),
        });
    if (!grant) throw AppError.keyed('interaction_expired', 'interaction.grantGone');
    const prompt = details.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (prompt.missingOIDCScope?.length) grant.addOIDCScope(prompt.missingOIDCScope.join(' '));
    if (prompt.missingOIDCClaims?.length) grant.addOIDCClaims(prompt.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(prompt.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    // Remembered per user and client, so the next session of this user does not ask again.
    await deps.consents.remember(
      details.session.accountId,
      String(details.params.client_id),
      grant.getOIDCScope().split(' ').filter(Boolean),
      grant.getOIDCClaims(),
    );
    await finishInteraction(ctx, provider, { consent: { grantId } });
  };
}
