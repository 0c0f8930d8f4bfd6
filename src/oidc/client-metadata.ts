import type Provider from 'oidc-provider';
import { type Client, type ClientMetadata, type Configuration, errors } from 'oidc-provider';
import { ACCESS_TOKEN_FORMATS } from './access-tokens.ts';

/**
 * Client metadata oidc-provider does not know, checked by its own client schema like the rest:
 * - `skip_consent`: a first-party application (`gatehouse client create --skip-consent`);
 * - `require_pkce`: `false` lets a confidential client use the code grant without PKCE;
 * - `frontchannel_logout_uri` (+ `_session_required`): OIDC Front-Channel Logout 1.0, which
 *   oidc-provider 9 no longer implements; Gatehouse's logout pages do (see front-channel-logout.ts);
 * - `access_token_format`: `jwt` for RFC 9068 access tokens (see access-tokens.ts), else opaque.
 * - `allowed_groups`: only members of one of these groups may use the application
 *   (application-access.ts); absent or empty, everyone may.
 */
export const extraClientMetadata: NonNullable<Configuration['extraClientMetadata']> = {
  properties: [
    'skip_consent',
    'require_pkce',
    'frontchannel_logout_uri',
    'frontchannel_logout_session_required',
    'access_token_format',
    'allowed_groups',
  ],
  validator: (_ctx, key, value, metadata) => {
    if (value === undefined) return;
    const problem = checks[key]?.(value, metadata);
    if (problem) throw new errors.InvalidClientMetadata(`${key} ${problem}`);
  },
};

type Check = (value: unknown, metadata: ClientMetadata) => string | undefined;

/** A group name as the provider schema's group mappings accept it: 1–64 characters, trimmed. */
const isGroupName = (g: unknown) => typeof g === 'string' && g.length > 0 && g.length <= 64 && g.trim() === g;

const boolean: Check = (value) => (typeof value === 'boolean' ? undefined : 'must be a boolean');

const checks: Record<string, Check> = {
  allowed_groups: (value) =>
    Array.isArray(value) && value.length <= 50 && value.every(isGroupName)
      ? undefined
      : 'must be a list of at most 50 group names',
  skip_consent: boolean,
  frontchannel_logout_session_required: boolean,
  require_pkce: (value, metadata) =>
    boolean(value, metadata) ??
    (value === false && metadata.token_endpoint_auth_method === 'none'
      ? 'cannot be false for a public client'
      : undefined),
  access_token_format: (value) =>
    (ACCESS_TOKEN_FORMATS as readonly unknown[]).includes(value)
      ? undefined
      : `must be one of ${ACCESS_TOKEN_FORMATS.join(', ')}`,
  frontchannel_logout_uri: (value) => {
    const url = typeof value === 'string' ? URL.parse(value) : null;
    if (!url || !['http:', 'https:'].includes(url.protocol)) return 'must be an http(s) URL';
    return url.hash ? 'must not have a fragment' : undefined;
  },
};

/**
 * An application using front-channel logout matches the `sid` Gatehouse sends to the one in its ID
 * token, so its ID tokens carry `sid` as a back-channel application's do. oidc-provider decides
 * this in one method of its Client class, which knows only back-channel logout.
 */
export function includeSidForFrontChannel(provider: Provider): void {
  const prototype = provider.Client.prototype as unknown as { includeSid(this: Client): unknown };
  const backChannelOnly = prototype.includeSid;
  prototype.includeSid = function includeSid(this: Client) {
    const metadata = this.metadata();
    return (
      Boolean(backChannelOnly.call(this)) ||
      (typeof metadata.frontchannel_logout_uri === 'string' &&
        metadata.frontchannel_logout_session_required === true)
    );
  };
}
