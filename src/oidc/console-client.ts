import type { ClientMetadata } from 'oidc-provider';

/**
 * The built-in first-party client of Gatehouse's own pages. The migrations create it; its
 * registration is fixed here (public, PKCE, one redirect URI under the issuer) and cannot be
 * edited into something else nor deleted.
 */
export const CONSOLE_CLIENT_ID = 'gatehouse-console';
export const CONSOLE_CALLBACK_PATH = '/console/callback';

export function isBuiltInClient(clientId: string): boolean {
  return clientId === CONSOLE_CLIENT_ID;
}

export function consoleClientMetadata(issuer: string): ClientMetadata {
  return {
    client_id: CONSOLE_CLIENT_ID,
    client_name: 'Gatehouse console',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [`${issuer}${CONSOLE_CALLBACK_PATH}`],
    post_logout_redirect_uris: [`${issuer}/`],
    scope: 'openid',
    skip_consent: true,
  };
}
