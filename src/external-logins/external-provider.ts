import type { z } from 'zod';
import {
  type LinkMode,
  type ProviderKind,
  type ProviderOptionsParsed,
  type providerInputSchema,
  providerOptionsSchema,
} from './provider-schema.ts';

export { ALIAS_PATTERN, providerInputSchema, providerOptionsSchema } from './provider-schema.ts';

/**
 * An upstream provider users can sign in with: an OpenID provider (`oidc`: Entra ID, Okta, Google,
 * Keycloak…) or a plain OAuth2 server with a user-info URL (`oauth2`: GitHub). Options follow
 * docs/extending.md's table; `provider-schema.ts` holds each default and what it means.
 */
export interface ExternalProvider {
  alias: string;
  kind: ProviderKind;
  displayName: string;
  /** For `oauth2` upstreams, which have no issuer, the URL that names them (e.g. https://github.com). */
  issuer: string;
  clientId: string;
  /** Empty when the provider authenticates with `clientPrivateKey`. */
  clientSecret: string;
  /** PKCS#8 PEM for `private_key_jwt`. */
  clientPrivateKey?: string | undefined;
  /** Default `openid profile email`. */
  scopes: string[];
  /** Buttons and auto-redirect follow this order. */
  sortOrder: number;
  /** `code` providers come from `builder.addExternalLoginProvider` and cannot be changed by the CLI. */
  source: 'database' | 'code';
  options: ExternalProviderOptions;
}

export interface AutoLinkOptions extends Omit<ProviderOptionsParsed['autoLink'], 'mode'> {
  mode: LinkMode;
}

export interface ExternalProviderOptions extends Omit<ProviderOptionsParsed, 'autoLink' | 'icon'> {
  autoLink: AutoLinkOptions;
  icon: string | undefined;
}

export type ExternalProviderInput = z.input<typeof providerInputSchema> & {
  /** Entra ID's tenant (id or domain): the issuer is derived from it. Input only. */
  tenant?: string | undefined;
};

export function defaultOptions(): ExternalProviderOptions {
  return normaliseOptions(providerOptionsSchema.parse({}));
}

/** `mode` wins; without one, the older `autoLinkExternalAccount` switch decides. */
export function normaliseOptions(options: ProviderOptionsParsed): ExternalProviderOptions {
  const mode =
    options.autoLink.mode ?? (options.autoLink.autoLinkExternalAccount ? 'link-and-create' : 'never');
  return {
    ...options,
    icon: options.icon,
    autoLink: { ...options.autoLink, mode, autoLinkExternalAccount: mode !== 'never' },
  };
}

/** True when the upstream should be signed out too, given what its discovery document offers. */
export function usesFederatedLogout(provider: ExternalProvider, hasEndSessionEndpoint: boolean): boolean {
  return (provider.options.federatedLogout ?? true) && hasEndSessionEndpoint;
}
