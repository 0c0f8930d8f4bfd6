import { z } from 'zod';
import { AUTH_METHODS, type ClientInput, GRANT_TYPES } from '../../oidc/client-service.ts';
import type { StoredClient } from '../../oidc/client-store.ts';
import { checkbox, listText } from '../form-fields.ts';

/** The application form: the options of `gatehouse client create`, as HTML sends them. */
export const applicationForm = z.object({
  clientId: z.string().trim().max(255).optional(),
  name: z.string().trim().max(255).optional(),
  type: z.enum(['public', 'confidential'], 'Choose public or confidential.'),
  authMethod: z.enum(AUTH_METHODS).optional().catch(undefined),
  redirectUris: listText,
  postLogoutRedirectUris: listText,
  backchannelLogoutUri: z.string().trim().max(2000).optional(),
  grants: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v) => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []))
    .pipe(z.array(z.enum(GRANT_TYPES)).min(1, 'Choose at least one grant.')),
  scopes: listText,
  skipConsent: checkbox,
});

export type ApplicationForm = z.infer<typeof applicationForm>;

export function toClientInput(form: ApplicationForm): Omit<ClientInput, 'clientId'> {
  return {
    name: form.name || undefined,
    public: form.type === 'public',
    authMethod: form.authMethod,
    redirectUris: form.redirectUris,
    postLogoutRedirectUris: form.postLogoutRedirectUris,
    // ClientService drops an empty back-channel URI from the metadata: that is how it is removed.
    backchannelLogoutUri: form.backchannelLogoutUri ?? '',
    grants: form.grants,
    scopes: form.scopes,
    skipConsent: form.skipConsent,
  };
}

/** What the form shows for a stored client (or the defaults for a new one). */
export function formValues(client?: StoredClient): Record<string, unknown> {
  if (!client)
    return {
      type: 'confidential',
      grants: ['authorization_code', 'refresh_token'],
      authMethod: 'client_secret_basic',
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
    grants: m.grant_types ?? [],
    scopes: typeof m.scope === 'string' ? m.scope.split(' ').join(', ') : '',
    skipConsent: client.skipConsent,
  };
}

export const GRANT_CHOICES = GRANT_TYPES;
export const AUTH_METHOD_CHOICES = AUTH_METHODS;
