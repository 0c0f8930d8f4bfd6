import { z } from 'zod';

/**
 * An upstream OpenID provider users can sign in with. Options follow docs/extending.md's table (Umbraco's
 * external login provider options), each with its default below.
 */
export interface ExternalProvider {
  alias: string;
  displayName: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Default `openid profile email`. */
  scopes: string[];
  /** Buttons and auto-redirect follow this order. */
  sortOrder: number;
  /** `code` providers come from `builder.addExternalLoginProvider` and cannot be changed by the CLI. */
  source: 'database' | 'code';
  options: ExternalProviderOptions;
}

export interface AutoLinkOptions {
  /** Link to the local user with the same email, or create one. Default false. */
  autoLinkExternalAccount: boolean;
  /** Groups of an auto-created user. Default none. */
  defaultUserGroups: string[];
  /** Only when the upstream says `email_verified: true`. Default true. */
  requireVerifiedEmail: boolean;
  /** Only addresses in these domains; empty = any. */
  allowedEmailDomains: string[];
}

export interface ExternalProviderOptions {
  /** `client_secret_basic` (every server supports it) or `client_secret_post`. */
  tokenEndpointAuthMethod: 'client_secret_basic' | 'client_secret_post';
  /** If ANY provider sets it, local passwords are off everywhere. Default false. */
  denyLocalLogin: boolean;
  /** `/auth` goes straight to this provider, except right after a logout or an upstream error. Default false. */
  autoRedirect: boolean;
  autoLink: AutoLinkOptions;
  /** Users may link and unlink this provider on their account page. Default true. */
  allowManualLinking: boolean;
  /** Continue sign-out at the upstream; `null` = when it has an end_session_endpoint. */
  federatedLogout: boolean | null;
  /** Trust the upstream's authentication instead of asking for the local second factor. Default false. */
  bypassTwoFactor: boolean;
  /** `import`: copy name/email on creation; `force`: update them at every sign-in. */
  syncProfile: 'import' | 'force';
  /** Optional button icon (a URL on our own origin or a data: URL). */
  icon: string | undefined;
}

export const ALIAS_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

const domain = z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'must be a domain name like example.com');

export const providerOptionsSchema = z.object({
  tokenEndpointAuthMethod: z
    .enum(['client_secret_basic', 'client_secret_post'])
    .default('client_secret_basic'),
  denyLocalLogin: z.boolean().default(false),
  autoRedirect: z.boolean().default(false),
  autoLink: z
    .object({
      autoLinkExternalAccount: z.boolean().default(false),
      defaultUserGroups: z.array(z.string().trim().min(1).max(64)).default([]),
      requireVerifiedEmail: z.boolean().default(true),
      allowedEmailDomains: z.array(domain).default([]),
    })
    .prefault({}),
  allowManualLinking: z.boolean().default(true),
  federatedLogout: z.boolean().nullable().default(null),
  bypassTwoFactor: z.boolean().default(false),
  syncProfile: z.enum(['import', 'force']).default('import'),
  icon: z.string().max(8192).optional(),
});

export const providerInputSchema = z.object({
  alias: z.string().regex(ALIAS_PATTERN, 'must be lowercase letters, digits, - or _ (at most 64)'),
  displayName: z.string().trim().min(1).max(255).optional(),
  issuer: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  clientId: z.string().min(1).max(255),
  clientSecret: z.string().min(1).max(4096),
  scopes: z
    .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'is not a valid scope'))
    .default(['openid', 'profile', 'email']),
  sortOrder: z.number().int().default(0),
  options: providerOptionsSchema.prefault({}),
});

export type ExternalProviderInput = z.input<typeof providerInputSchema>;

export function defaultOptions(): ExternalProviderOptions {
  return normaliseOptions(providerOptionsSchema.parse({}));
}

export function normaliseOptions(options: z.infer<typeof providerOptionsSchema>): ExternalProviderOptions {
  return { ...options, icon: options.icon };
}

/** True when the upstream should be signed out too, given what its discovery document offers. */
export function usesFederatedLogout(provider: ExternalProvider, hasEndSessionEndpoint: boolean): boolean {
  return (provider.options.federatedLogout ?? true) && hasEndSessionEndpoint;
}
