import { type Client, type Configuration, errors, type Grant, type KoaContextWithOIDC } from 'oidc-provider';
import { USER_SCOPES } from './scopes.ts';

/** `opaque` (default): a reference the provider looks up. `jwt`: RFC 9068, verified with the JWKS alone. */
export const ACCESS_TOKEN_FORMATS = ['opaque', 'jwt'] as const;
export type AccessTokenFormat = (typeof ACCESS_TOKEN_FORMATS)[number];

/**
 * A JWT access token cannot be taken back: revocation and sign-out end the grant, but a resource
 * server that checks only the signature accepts the token until it expires. Five minutes bounds
 * that window; the client refreshes (refresh tokens stay revocable) or signs in again.
 */
export const JWT_ACCESS_TOKEN_TTL = 300;

/** Signed like the ID tokens' default: cheap to verify, and the key is in the published JWKS. */
const JWT_ACCESS_TOKEN_ALG = 'ES256';

type ResourceIndicators = NonNullable<NonNullable<Configuration['features']>['resourceIndicators']>;

export function issuesJwtAccessTokens(client: Client | undefined): boolean {
  return client?.metadata().access_token_format === 'jwt';
}

/**
 * The resource a jwt client's tokens are for: the application itself (its own API), so the
 * token's `aud` is the client id, which is what a resource server of that application checks. A
 * resource indicator must be an absolute URI, hence the URN; no other resource is accepted.
 */
export function ownResource(clientId: string): string {
  return `urn:gatehouse:client:${clientId}`;
}

/**
 * oidc-provider issues JWT access tokens only for a resource (RFC 8707), so a client registered
 * with `access_token_format: jwt` gets its own resource by default, and the tokens of its grants
 * stay for that resource (the openid scope would otherwise send them to userinfo, as opaque
 * tokens). Every other client keeps opaque tokens and may ask for no resource at all.
 */
export const resourceIndicators: ResourceIndicators = {
  enabled: true,
  defaultResource: async (_ctx, client, oneOf) => {
    if (oneOf) return oneOf;
    return issuesJwtAccessTokens(client) && client ? ownResource(client.clientId) : undefined;
  },
  useGrantedResource: async (ctx) => issuesJwtAccessTokens(ctx.oidc.client),
  getResourceServerInfo: async (_ctx, indicator, client) => {
    if (!issuesJwtAccessTokens(client) || indicator !== ownResource(client.clientId)) {
      throw new errors.InvalidTarget('this client may not ask for a resource indicator');
    }
    return {
      // A person's scopes; the admin API's scope is never in a token nobody can revoke.
      scope: USER_SCOPES.filter((s) => s !== 'offline_access').join(' '),
      audience: client.clientId,
      accessTokenFormat: 'jwt',
      accessTokenTTL: JWT_ACCESS_TOKEN_TTL,
      jwt: { sign: { alg: JWT_ACCESS_TOKEN_ALG } },
    };
  },
};

/**
 * What the user allowed this client also holds for the client's own resource: the consent is the
 * same, only the token's shape differs. Without this a remembered or first-party grant would lack
 * the resource's scopes and the token would carry none.
 */
export async function coverOwnResource(ctx: KoaContextWithOIDC, grant: Grant): Promise<void> {
  const { client } = ctx.oidc;
  if (!client || !issuesJwtAccessTokens(client)) return;
  const scopes = grant
    .getOIDCScope()
    .split(' ')
    .filter((s) => s && s !== 'offline_access');
  const resource = ownResource(client.clientId);
  const held = new Set(grant.getResourceScope(resource).split(' '));
  if (scopes.every((s) => held.has(s))) return;
  grant.addResourceScope(resource, scopes.join(' '));
  await grant.save();
}
