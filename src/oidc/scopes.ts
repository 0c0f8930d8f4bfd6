/** The scope that opens the admin API (/api/admin/v1) to a machine client's client_credentials token. */
export const ADMIN_SCOPE = 'gatehouse:admin';

/** Scopes a person's sign-in can carry; a client registered without a scope list may ask for these. */
export const USER_SCOPES = ['openid', 'offline_access', 'profile', 'email', 'groups'] as const;

/** Every scope oidc-provider knows. */
export const ALL_SCOPES = [...USER_SCOPES, ADMIN_SCOPE];

/**
 * The registration oidc-provider enforces, whatever is stored (rows written before these rules
 * included): a client without a scope list gets the user scopes only (oidc-provider would otherwise
 * let it ask for any configured scope, the admin one included), and a public client (no secret)
 * never gets client_credentials nor the admin scope (RFC 6749 §4.4: confidential clients only).
 */
export function enforcedRegistration<M extends Record<string, unknown>>(metadata: M): M {
  const isPublic = metadata.token_endpoint_auth_method === 'none';
  const scopes =
    typeof metadata.scope === 'string' ? metadata.scope.split(' ').filter(Boolean) : [...USER_SCOPES];
  const grants = Array.isArray(metadata.grant_types) ? (metadata.grant_types as string[]) : undefined;
  return {
    ...metadata,
    scope: (isPublic ? scopes.filter((s) => s !== ADMIN_SCOPE) : scopes).join(' '),
    ...(grants && isPublic ? { grant_types: grants.filter((g) => g !== 'client_credentials') } : {}),
  };
}
