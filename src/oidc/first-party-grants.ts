import type { Grant, KoaContextWithOIDC } from 'oidc-provider';

/**
 * oidc-provider's `loadExistingGrant`. For a first-party client (`skip_consent`) the grant is
 * created or widened here to cover what was asked, so its users never see a consent page; other
 * clients get the grant they already consented to, and the consent prompt asks for anything new.
 */
export async function loadExistingGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
  const { client, session } = ctx.oidc;
  if (!client || !session?.accountId) return undefined;
  const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
  const existing = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
  if (client.metadata().skip_consent !== true) return existing;

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
