import type { ClientMetadata, JWKS } from 'oidc-provider';
import type { AccessTokenFormat } from './access-tokens.ts';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from './signing-keys.ts';

/** The device authorization grant (RFC 8628); `--grant device_code` on the command line. */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
export const GRANT_TYPES = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  DEVICE_CODE_GRANT,
] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/** Token endpoint authentication of a confidential client; a public client uses `none`. */
export const AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'client_secret_jwt',
  'private_key_jwt',
] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** What Gatehouse has keys for (each key is bound to its algorithm, so no PS256 from the RSA key). */
export const SIGNING_ALGS = SIGNING_ALGORITHMS;
export type SigningAlg = SigningAlgorithm;

export const PKCE_POLICIES = ['required', 'optional'] as const;
export type PkcePolicy = (typeof PKCE_POLICIES)[number];

/**
 * Everything an operator decides about an application. `null` (or an empty string) on an update
 * removes an optional setting; `undefined` leaves it as it is.
 */
export interface ClientSettings {
  name?: string | undefined;
  /** A confidential client's secret; generated when one is needed and none is given. */
  secret?: string | undefined;
  /** A public client (single-page or native app) has no secret and always uses PKCE. */
  public: boolean;
  authMethod?: AuthMethod | undefined;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  backchannelLogoutUri?: string | null | undefined;
  frontchannelLogoutUri?: string | null | undefined;
  grants: GrantType[];
  /** Empty: every scope the provider offers. */
  scopes: string[];
  skipConsent: boolean;
  /** `required` (default, and always for public clients) or `optional` for confidential clients. */
  pkce?: PkcePolicy | undefined;
  /** The client's public keys, for `private_key_jwt`: inline, or where to fetch them. */
  jwks?: JWKS | null | undefined;
  jwksUri?: string | null | undefined;
  /** Default ES256 (CLIENT_DEFAULTS in configuration.ts). */
  idTokenSignedResponseAlg?: SigningAlg | undefined;
  /** Unset: userinfo answers plain JSON. */
  userinfoSignedResponseAlg?: SigningAlg | null | undefined;
  /** `jwt`: RFC 9068 access tokens, valid until they expire whatever is revoked. Default opaque. */
  accessTokenFormat?: AccessTokenFormat | undefined;
  /** Only members of one of these groups may use the application; empty: everyone. */
  allowedGroups?: string[] | undefined;
}

export interface ClientInput extends ClientSettings {
  clientId: string;
}

export type ClientChanges = Partial<ClientSettings> & { rotateSecret?: boolean | undefined };

type Patch = Record<string, unknown>;

/** Metadata keys an update sets (a value) or removes (`undefined`); keys not named stay as they are. */
export function metadataPatch(changes: ClientChanges, current: Partial<ClientMetadata>): Patch {
  const patch: Patch = {};
  const set = (key: string, value: unknown) => {
    patch[key] = value === null || value === '' ? undefined : value;
  };
  if (changes.name !== undefined) set('client_name', changes.name);
  const method = authMethodAfter(changes, current);
  if (method !== undefined) set('token_endpoint_auth_method', method);
  if (changes.grants !== undefined) {
    set('grant_types', changes.grants);
    set('response_types', changes.grants.includes('authorization_code') ? ['code'] : []);
  }
  if (changes.redirectUris !== undefined) set('redirect_uris', changes.redirectUris);
  if (changes.postLogoutRedirectUris !== undefined)
    set('post_logout_redirect_uris', changes.postLogoutRedirectUris);
  if (changes.backchannelLogoutUri !== undefined) {
    set('backchannel_logout_uri', changes.backchannelLogoutUri);
    set('backchannel_logout_session_required', changes.backchannelLogoutUri ? true : null);
  }
  if (changes.frontchannelLogoutUri !== undefined) {
    set('frontchannel_logout_uri', changes.frontchannelLogoutUri);
    set('frontchannel_logout_session_required', changes.frontchannelLogoutUri ? true : null);
  }
  if (changes.scopes !== undefined) set('scope', changes.scopes.join(' '));
  if (changes.skipConsent !== undefined) set('skip_consent', changes.skipConsent);
  if (changes.pkce !== undefined) set('require_pkce', changes.pkce === 'required');
  if (changes.jwks !== undefined) set('jwks', changes.jwks);
  if (changes.jwksUri !== undefined) set('jwks_uri', changes.jwksUri);
  if (changes.idTokenSignedResponseAlg !== undefined)
    set('id_token_signed_response_alg', changes.idTokenSignedResponseAlg);
  if (changes.userinfoSignedResponseAlg !== undefined)
    set('userinfo_signed_response_alg', changes.userinfoSignedResponseAlg);
  // Opaque is the default, so it is stored as no setting at all.
  if (changes.accessTokenFormat !== undefined)
    set('access_token_format', changes.accessTokenFormat === 'jwt' ? 'jwt' : null);
  if (changes.allowedGroups !== undefined)
    set('allowed_groups', changes.allowedGroups.length ? changes.allowedGroups : undefined);
  return patch;
}

/** An auth method makes a client confidential; `public` makes it `none`; becoming confidential defaults to basic. */
function authMethodAfter(changes: ClientChanges, current: Partial<ClientMetadata>): string | undefined {
  if (changes.public === true) return 'none';
  if (changes.authMethod !== undefined) return changes.authMethod;
  const wasPublic = (current.token_endpoint_auth_method ?? 'client_secret_basic') === 'none';
  if (changes.public === false && wasPublic) return 'client_secret_basic';
  return undefined;
}

export function applyPatch(current: ClientMetadata, patch: Patch): ClientMetadata {
  const merged: Record<string, unknown> = { ...current, ...patch };
  for (const [key, value] of Object.entries(merged)) if (value === undefined) delete merged[key];
  return merged as ClientMetadata;
}

export function isPublic(metadata: ClientMetadata): boolean {
  return metadata.token_endpoint_auth_method === 'none';
}

/** The client authenticates with its secret, or has Gatehouse sign or MAC tokens with it (HS*). */
export function needsSecret(metadata: ClientMetadata): boolean {
  const method = metadata.token_endpoint_auth_method ?? 'client_secret_basic';
  if (['client_secret_basic', 'client_secret_post', 'client_secret_jwt'].includes(method)) return true;
  const algs = [metadata.id_token_signed_response_alg, metadata.userinfo_signed_response_alg];
  return algs.some((alg) => typeof alg === 'string' && alg.startsWith('HS'));
}

/** PKCE is required unless a confidential client's registration says `require_pkce: false`. */
export function pkceRequired(metadata: ClientMetadata): boolean {
  return isPublic(metadata) || metadata.require_pkce !== false;
}
