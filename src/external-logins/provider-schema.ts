import { z } from 'zod';
import { GROUP_NAME_RULE, groupNameProblem } from '../users/user-fields.ts';

/**
 * The one validated description of an upstream provider's settings. The CLI, the registry, the
 * store and the admin console all parse through it; every field says what it means (`describe`),
 * so a form can be rendered from it.
 */

export const PROVIDER_KINDS = ['oidc', 'oauth2'] as const;
export const PRESETS = ['generic', 'entra', 'okta', 'google', 'keycloak', 'github'] as const;
export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;
export const LINK_MODES = ['link-and-create', 'link-only', 'create-only', 'never'] as const;
export const GROUP_OVERAGE = ['refuse', 'graph'] as const;

export const ALIAS_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

const domain = z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'must be a domain name like example.com');
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const claimName = z
  .string()
  .regex(/^[A-Za-z0-9_.:/-]{1,128}$/, 'must be a claim name (letters, digits, _ . : / -)');
const groupName = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .refine((name) => !groupNameProblem(name), `must be a group name: ${GROUP_NAME_RULE}`);

function isRegExp(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

export const groupMappingSchema = z
  .object({
    claim: claimName.describe('upstream claim to read: groups, roles, wids, or any other'),
    value: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .describe('the claim has exactly this value (or contains it)'),
    pattern: z
      .string()
      .min(1)
      .max(256)
      .refine(isRegExp, 'is not a valid regular expression')
      .optional()
      .describe('or: a value of the claim matches this regular expression (whole value)'),
    group: groupName.describe('the Gatehouse group a match gives'),
  })
  .refine((m) => (m.value === undefined) !== (m.pattern === undefined), {
    message: 'give exactly one of value or pattern',
  });

export const oauth2Schema = z.object({
  authorizationEndpoint: httpUrl.describe("the upstream's authorization URL"),
  tokenEndpoint: httpUrl.describe("the upstream's token URL"),
  userinfoEndpoint: httpUrl.describe('URL that answers the signed-in user as JSON (GitHub: /user)'),
  emailsEndpoint: httpUrl
    .optional()
    .describe("GitHub's /user/emails: the verified primary address is the user's email"),
  subjectClaim: claimName.default('id').describe('field of the user-info answer that never changes'),
  nameClaim: claimName.default('name').describe('field holding the display name'),
});

export const autoLinkSchema = z.object({
  autoLinkExternalAccount: z
    .boolean()
    .default(false)
    .describe('shorthand for mode link-and-create (true) or never (false) when mode is not given'),
  mode: z
    .enum(LINK_MODES)
    .optional()
    .describe(
      'link-and-create: link to the local user with the matching address or create one; link-only: never create; create-only: never link to an existing user; never',
    ),
  defaultUserGroups: z.array(groupName).default([]).describe('groups of an auto-created user'),
  matchClaim: claimName
    .default('email')
    .describe('claim whose value is matched against local email addresses: email, upn, preferred_username…'),
  emailVerifiedClaim: claimName
    .default('email_verified')
    .describe('claim that proves the address is verified (Entra: xms_edov)'),
  requireVerifiedEmail: z
    .boolean()
    .default(true)
    .describe("false = trust this provider's addresses without proof (an explicit admin choice)"),
  allowedEmailDomains: z.array(domain).default([]).describe('only addresses in these domains; empty = any'),
  protectedGroups: z
    .array(groupName)
    .default(['admin'])
    .describe('never auto-link onto a member of these groups without proof of owning the account'),
  linkSilently: z
    .boolean()
    .default(false)
    .describe('link onto an existing account with another way in without asking the user to prove ownership'),
});

export const providerOptionsSchema = z.object({
  preset: z.enum(PRESETS).default('generic').describe('which upstream product this is (fills defaults)'),
  tokenEndpointAuthMethod: z
    .enum(AUTH_METHODS)
    .optional()
    .describe(
      "how Gatehouse authenticates at the token endpoint; unset = chosen from the upstream's metadata",
    ),
  denyLocalLogin: z.boolean().default(false).describe('if ANY provider sets it, local passwords are off'),
  autoRedirect: z.boolean().default(false).describe('/auth goes straight to this provider'),
  autoLink: autoLinkSchema.prefault({}),
  allowManualLinking: z
    .boolean()
    .default(true)
    .describe('users may link and unlink this provider themselves'),
  federatedLogout: z
    .boolean()
    .nullable()
    .default(null)
    .describe('continue sign-out at the upstream; null = when it has an end_session_endpoint'),
  bypassTwoFactor: z
    .boolean()
    .default(false)
    .describe(
      "trust the upstream's authentication (and carry its acr/amr) instead of the local second factor",
    ),
  syncProfile: z
    .enum(['import', 'force'])
    .default('import')
    .describe('import: on creation; force: every sign-in'),
  icon: z.string().max(8192).optional().describe('button icon: a URL on our origin or a data: URL'),
  groupMappings: z
    .array(groupMappingSchema)
    .max(200)
    .default([])
    .describe('upstream claim values → Gatehouse groups, applied at every sign-in'),
  groupOverage: z
    .enum(GROUP_OVERAGE)
    .default('refuse')
    .describe("Entra's group overage (_claim_names): refuse with a clear message, or ask Microsoft Graph"),
  graphEndpoint: httpUrl
    .default('https://graph.microsoft.com')
    .describe('Microsoft Graph base URL for groupOverage graph'),
  oauth2: oauth2Schema.optional().describe('plain OAuth2 upstreams (kind oauth2): endpoints and user fields'),
});

export const providerInputSchema = z.object({
  alias: z.string().regex(ALIAS_PATTERN, 'must be lowercase letters, digits, - or _ (at most 64)'),
  kind: z.enum(PROVIDER_KINDS).default('oidc'),
  displayName: z.string().trim().min(1).max(255).optional(),
  issuer: httpUrl,
  clientId: z.string().min(1).max(255),
  clientSecret: z.string().max(4096).default(''),
  /** PKCS#8 PEM of the key for private_key_jwt. */
  clientPrivateKey: z.string().max(16_384).optional(),
  scopes: z
    .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'is not a valid scope'))
    .default(['openid', 'profile', 'email']),
  sortOrder: z.number().int().default(0),
  options: providerOptionsSchema.prefault({}),
});

export type ProviderOptionsParsed = z.infer<typeof providerOptionsSchema>;
export type GroupMapping = z.infer<typeof groupMappingSchema>;
export type OAuth2Endpoints = z.infer<typeof oauth2Schema>;
export type LinkMode = (typeof LINK_MODES)[number];
export type ProviderKind = (typeof PROVIDER_KINDS)[number];
export type Preset = (typeof PRESETS)[number];
export type TokenEndpointAuthMethod = (typeof AUTH_METHODS)[number];

/**
 * A change to a stored provider (admin API PATCH): every field optional and without defaults, so
 * what is not sent stays as stored; `tokenEndpointAuthMethod: null` goes back to choosing it from
 * the upstream's metadata.
 */
export const providerPatchSchema = z.strictObject({
  displayName: z.string().trim().min(1).max(255).optional(),
  issuer: httpUrl.optional(),
  clientId: z.string().min(1).max(255).optional(),
  clientSecret: z.string().min(1).max(4096).optional(),
  clientPrivateKey: z.string().max(16_384).optional(),
  scopes: z.array(z.string().max(255)).max(100).optional(),
  sortOrder: z.number().int().optional(),
  options: z
    .strictObject({
      tokenEndpointAuthMethod: z.enum(AUTH_METHODS).nullable().optional(),
      denyLocalLogin: z.boolean().optional(),
      autoRedirect: z.boolean().optional(),
      autoLink: z
        .strictObject({
          autoLinkExternalAccount: z.boolean().optional(),
          mode: z.enum(LINK_MODES).optional(),
          defaultUserGroups: z.array(groupName).max(100).optional(),
          matchClaim: claimName.optional(),
          emailVerifiedClaim: claimName.optional(),
          requireVerifiedEmail: z.boolean().optional(),
          allowedEmailDomains: z.array(domain).max(100).optional(),
          protectedGroups: z.array(groupName).max(100).optional(),
          linkSilently: z.boolean().optional(),
        })
        .optional(),
      allowManualLinking: z.boolean().optional(),
      federatedLogout: z.boolean().nullable().optional(),
      bypassTwoFactor: z.boolean().optional(),
      syncProfile: z.enum(['import', 'force']).optional(),
      icon: z.string().max(8192).optional(),
      groupMappings: z.array(groupMappingSchema).max(200).optional(),
      groupOverage: z.enum(GROUP_OVERAGE).optional(),
      graphEndpoint: httpUrl.optional(),
      oauth2: oauth2Schema.partial().optional(),
    })
    .optional(),
});

/** A provider as the admin API and `--json` show it: everything but the secret and the key. */
export const providerViewSchema = z.object({
  alias: z.string(),
  kind: z.enum(PROVIDER_KINDS),
  displayName: z.string(),
  issuer: z.string(),
  clientId: z.string(),
  hasPrivateKey: z.boolean(),
  scopes: z.array(z.string()),
  sortOrder: z.number().int(),
  source: z.enum(['database', 'code']),
  options: providerOptionsSchema.extend({
    autoLink: autoLinkSchema.extend({ mode: z.enum(LINK_MODES) }),
  }),
  register: z
    .object({
      redirectUri: z.string(),
      postLogoutRedirectUri: z.string(),
      backchannelLogoutUri: z.string(),
      frontchannelLogoutUri: z.string(),
    })
    .describe('The URIs to register at the upstream.'),
});

/**
 * The registry's changes for a PATCH; `null` auth method becomes "choose it again" (undefined, but
 * present). A partial `oauth2` is fine: the registry merges it over the stored endpoints.
 */
export function patchToChanges(patch: z.infer<typeof providerPatchSchema>): Partial<ProviderInput> {
  const { options, ...rest } = patch;
  if (!options) return rest;
  const { tokenEndpointAuthMethod, ...others } = options;
  return {
    ...rest,
    options: {
      ...others,
      ...('tokenEndpointAuthMethod' in options
        ? { tokenEndpointAuthMethod: tokenEndpointAuthMethod ?? undefined }
        : {}),
    },
  } as Partial<ProviderInput>;
}

type ProviderInput = z.input<typeof providerInputSchema>;
