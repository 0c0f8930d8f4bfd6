import type { JWKS } from 'oidc-provider';
import { z } from 'zod';
import { ACCESS_TOKEN_FORMATS } from '../../oidc/access-tokens.ts';
import { allowedGroupsOf } from '../../oidc/application-access.ts';
import {
  AUTH_METHODS,
  type ClientInput,
  GRANT_TYPES,
  PKCE_POLICIES,
  SIGNING_ALGS,
} from '../../oidc/client-settings.ts';
import type { StoredClient } from '../../oidc/client-store.ts';
import { CLIENT_DEFAULTS } from '../../oidc/configuration.ts';
import { checkbox, listText } from '../form-fields.ts';

/** An optional text field: empty means "not set" (and removes it on an edit). */
const optionalUri = z
  .string()
  .trim()
  .max(2000, 'form.uriTooLong')
  .optional()
  .transform((v) => v || null);

/** The client's public keys as JSON text; empty removes them. */
const jwksText = z
  .string()
  .trim()
  .max(64_000, 'form.keysTooLong')
  .optional()
  .transform((text, ctx): JWKS | null => {
    if (!text) return null;
    try {
      const value = JSON.parse(text) as { keys?: unknown };
      if (value && Array.isArray(value.keys)) return value as JWKS;
    } catch {
      // answered below
    }
    ctx.addIssue({ code: 'custom', message: 'form.keysNotJwks' });
    return z.NEVER;
  });

/**
 * The application form: every option of `gatehouse client create|update`, as HTML sends them,
 * with the field names of the CLI's --json and the admin API.
 */
export const applicationForm = z.object({
  clientId: z.string().trim().max(255).optional(),
  name: z.string().trim().max(255).optional(),
  type: z.enum(['public', 'confidential'], 'form.chooseType'),
  authMethod: z.enum(AUTH_METHODS).optional().catch(undefined),
  /** `--secret`: empty generates one (a new application) or keeps the stored one. */
  secret: z
    .union([z.literal(''), z.string().min(16, 'form.secretTooShort').max(512)])
    .optional()
    .transform((v) => v || undefined),
  redirectUris: listText,
  postLogoutRedirectUris: listText,
  backchannelLogoutUri: z.string().trim().max(2000).optional(),
  frontchannelLogoutUri: optionalUri,
  grants: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v) => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []))
    .pipe(z.array(z.enum(GRANT_TYPES)).min(1, 'form.chooseGrant')),
  scopes: listText,
  skipConsent: checkbox,
  pkce: z.enum(PKCE_POLICIES, 'form.pkceChoice').default('required'),
  jwks: jwksText,
  jwksUri: optionalUri,
  idTokenSigningAlg: z.enum(SIGNING_ALGS, 'form.chooseSigningAlg').optional(),
  userinfoSigningAlg: z
    .union([z.literal(''), z.enum(SIGNING_ALGS)])
    .optional()
    .transform((v) => v || null),
  accessTokenFormat: z.enum(ACCESS_TOKEN_FORMATS, 'form.chooseTokenFormat').default('opaque'),
  allowedGroups: listText,
});

export type ApplicationForm = z.infer<typeof applicationForm>;

/** The whole registration the form describes; a public client always requires PKCE. */
export function toClientInput(form: ApplicationForm): Omit<ClientInput, 'clientId'> {
  const isPublic = form.type === 'public';
  return {
    name: form.name || undefined,
    public: isPublic,
    authMethod: isPublic ? undefined : form.authMethod,
    secret: isPublic ? undefined : form.secret,
    redirectUris: form.redirectUris,
    postLogoutRedirectUris: form.postLogoutRedirectUris,
    // ClientService drops an empty back-channel URI from the metadata: that is how it is removed.
    backchannelLogoutUri: form.backchannelLogoutUri ?? '',
    frontchannelLogoutUri: form.frontchannelLogoutUri,
    grants: form.grants,
    scopes: form.scopes,
    skipConsent: form.skipConsent,
    pkce: isPublic ? 'required' : form.pkce,
    jwks: form.jwks,
    jwksUri: form.jwksUri,
    idTokenSignedResponseAlg: form.idTokenSigningAlg,
    userinfoSignedResponseAlg: form.userinfoSigningAlg,
    accessTokenFormat: form.accessTokenFormat,
    allowedGroups: form.allowedGroups,
  };
}

/** What the form shows for a stored client (or the defaults for a new one). */
export function formValues(client?: StoredClient): Record<string, unknown> {
  if (!client)
    return {
      type: 'confidential',
      grants: ['authorization_code', 'refresh_token'],
      authMethod: 'client_secret_basic',
      pkce: 'required',
      idTokenSigningAlg: CLIENT_DEFAULTS.id_token_signed_response_alg,
      accessTokenFormat: 'opaque',
    };
  const m = client.metadata;
  return {
    clientId: client.clientId,
    name: m.client_name ?? '',
    type: m.token_endpoint_auth_method === 'none' ? 'public' : 'confidential',
    authMethod: m.token_endpoint_auth_method,
    redirectUris: (m.redirect_uris ?? []).join('\n'),
    postLogoutRedirectUris: (m.post_logout_redirect_uris ?? []).join('\n'),
    backchannelLogoutUri: m.backchannel_logout_uri ?? '',
    frontchannelLogoutUri: m.frontchannel_logout_uri ?? '',
    grants: m.grant_types ?? [],
    scopes: typeof m.scope === 'string' ? m.scope.split(' ').join(', ') : '',
    skipConsent: client.skipConsent,
    pkce: m.token_endpoint_auth_method !== 'none' && m.require_pkce === false ? 'optional' : 'required',
    jwks: m.jwks ? JSON.stringify(m.jwks, null, 2) : '',
    jwksUri: m.jwks_uri ?? '',
    idTokenSigningAlg: m.id_token_signed_response_alg ?? CLIENT_DEFAULTS.id_token_signed_response_alg,
    userinfoSigningAlg: m.userinfo_signed_response_alg ?? '',
    accessTokenFormat: m.access_token_format === 'jwt' ? 'jwt' : 'opaque',
    allowedGroups: allowedGroupsOf(m).join(', '),
  };
}

/** The choices the form offers, labelled as the CLI names them (`--grant device_code`). */
export const FORM_CHOICES = {
  grantChoices: GRANT_TYPES.map((value) => ({
    value,
    label: value.startsWith('urn:') ? 'device_code (device authorization, RFC 8628)' : value,
  })),
  authMethodOptions: AUTH_METHODS.map((m) => [m, m]),
  signingAlgOptions: SIGNING_ALGS.map((a) => [a, a]),
};
