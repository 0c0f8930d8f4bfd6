import type { Grant, KoaContextWithOIDC } from 'oidc-provider';
import { coverOwnResource } from './access-tokens.ts';
import type { ConsentStore } from './consent-store.ts';

/**
 * oidc-provider's `loadExistingGrant`. For a first-party client (`skip_consent`) the grant is
 * created or widened here to cover what was asked, so its users never see a consent page; other
 * clients get the grant they already consented to, and the consent prompt asks for anything new.
 */
export function createLoadExistingGrant(consents: ConsentStore) {
  return async (ctx: KoaContextWithOIDC): Promise<Grant | undefined> => {
    const { client, session } = ctx.oidc;
    if (!client || !session?.accountId) return undefined;
    const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
    const existing = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
    const grant =
      client.metadata().skip_consent === true
        ? await firstPartyGrant(ctx, existing)
        : (existing ?? (await rememberedGrant(ctx, consents)));
    if (grant) await coverOwnResource(ctx, grant);
    return grant;
  };
}

/**
 * A new session of a user who consented to this client before: a grant with what they allowed,
 * so the consent page asks only for what is new (consent is remembered per user and client, as
 * Keycloak and Entra do, not per browser session).
 */
async function rememberedGrant(ctx: KoaContextWithOIDC, consents: ConsentStore): Promise<Grant | undefined> {
  const { client, session } = ctx.oidc;
  if (!client || !session?.accountId) return undefined;
  const remembered = await consents.find(session.accountId, client.clientId);
  if (!remembered) return undefined;
  const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
  if (remembered.scopes.length) grant.addOIDCScope(remembered.scopes.join(' '));
  if (remembered.claims.length) grant.addOIDCClaims(remembered.claims);
  await grant.save();
  return grant;
}

async function firstPartyGrant(
  ctx: KoaContextWithOIDC,
  existing: Grant | undefined,
): Promise<Grant | undefined> {
  const { client, session } = ctx.oidc;
  if (!client || !session?.accountId) return undefined;

  const grant =
    existing ?? new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
  const scopes = [...(ctx.oidc.requestParamScopes ?? [])].join(' ');
  if (scopes) grant.addOIDCScope(scopes);
  const claims = Object.keys({
    ...ctx.oidc.claims?.id_token,
    ...ctx.oidc.claims?.userinfo,
  });
  if (claims.length) grant.addOIDCClaims(claims);
  await grant.save();
  return grant;
}
