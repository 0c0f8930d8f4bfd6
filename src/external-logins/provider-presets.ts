import type { ExternalProviderInput } from './external-provider.ts';
import type { Preset } from './provider-schema.ts';

type Input = ExternalProviderInput;
type Defaults = Omit<Partial<Input>, 'options'> & { options?: NonNullable<Input['options']> };

const TENANT = /^[A-Za-z0-9.-]{1,128}$/;

/**
 * What each upstream product needs that the generic defaults do not give, so that an admin types
 * only what is theirs (tenant, client id and secret). Explicit input always wins over a preset.
 */
function presetDefaults(preset: Preset, input: Input): Defaults | string {
  switch (preset) {
    case 'entra': {
      if (!input.issuer && !input.tenant)
        return 'the entra preset needs a tenant (id or domain) or an issuer';
      if (input.tenant && !TENANT.test(input.tenant)) return 'tenant must be a tenant id or domain name';
      return {
        displayName: 'Microsoft Entra ID',
        ...(input.tenant ? { issuer: `https://login.microsoftonline.com/${input.tenant}/v2.0` } : {}),
        // offline_access: a refresh token, which deprovisioning uses to re-check the user.
        scopes: ['openid', 'profile', 'email', 'offline_access'],
        // Entra never sends email_verified for work accounts; xms_edov is its optional claim for it.
        options: { autoLink: { emailVerifiedClaim: 'xms_edov' } },
      };
    }
    case 'okta':
      return { displayName: 'Okta', scopes: ['openid', 'profile', 'email', 'offline_access'] };
    case 'google':
      return { displayName: 'Google', issuer: 'https://accounts.google.com' };
    case 'keycloak':
      return { displayName: 'Keycloak' };
    case 'github':
      return githubDefaults(input.issuer);
    default:
      return {};
  }
}

/** GitHub, or GitHub Enterprise Server when an issuer (its base URL) is given. */
function githubDefaults(base: string | undefined): Defaults {
  const web = (base ?? 'https://github.com').replace(/\/+$/, '');
  const api = base ? `${web}/api/v3` : 'https://api.github.com';
  return {
    kind: 'oauth2',
    displayName: 'GitHub',
    issuer: web,
    scopes: ['read:user', 'user:email'],
    options: {
      // GitHub documents client_id and client_secret as form parameters.
      tokenEndpointAuthMethod: 'client_secret_post',
      oauth2: {
        authorizationEndpoint: `${web}/login/oauth/authorize`,
        tokenEndpoint: `${web}/login/oauth/access_token`,
        userinfoEndpoint: `${api}/user`,
        emailsEndpoint: `${api}/user/emails`,
        subjectClaim: 'id',
        nameClaim: 'name',
      },
    },
  };
}

/** The input with its preset's defaults filled in; a string when the preset lacks what it needs. */
export function applyPreset(input: Input): Input | string {
  const preset = input.options?.preset ?? 'generic';
  const defaults = presetDefaults(preset, input);
  if (typeof defaults === 'string') return defaults;
  const { tenant: _tenant, ...given } = input;
  const rest = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  const options = { ...defaults.options, ...input.options };
  const autoLink = { ...defaults.options?.autoLink, ...input.options?.autoLink };
  const oauth2 = defaults.options?.oauth2 ?? input.options?.oauth2;
  return {
    ...defaults,
    ...rest,
    options: { ...options, autoLink, ...(oauth2 ? { oauth2: { ...oauth2, ...input.options?.oauth2 } } : {}) },
  } as Input;
}
