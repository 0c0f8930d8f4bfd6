import { z } from 'zod';
import type { ExternalProvider, ExternalProviderInput } from '../../external-logins/external-provider.ts';
import {
  AUTH_METHODS,
  GROUP_OVERAGE,
  type GroupMapping,
  LINK_MODES,
  PRESETS,
  PROVIDER_KINDS,
} from '../../external-logins/provider-schema.ts';
import { checkbox, listText, optionalText } from '../form-fields.ts';

type Input = ExternalProviderInput;
type Options = NonNullable<Input['options']>;

/** `claim=value:group` or `claim~regex:group`, one a line: the CLI's `--map-group` spelling. */
const mappingLines = z
  .string()
  .max(50_000)
  .optional()
  .transform((text, ctx): GroupMapping[] => {
    const mappings: GroupMapping[] = [];
    for (const line of (text ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)) {
      const match = /^([^=~]+)([=~])(.+):([^:]+)$/.exec(line);
      if (!match) {
        ctx.addIssue({ code: 'custom', message: 'form.groupMappingLine', params: { line } });
        return z.NEVER;
      }
      const [, claim = '', op, matcher = '', group = ''] = match;
      mappings.push(op === '=' ? { claim, value: matcher, group } : { claim, pattern: matcher, group });
    }
    return mappings;
  });

/** Every option of `gatehouse provider create|update`, as an HTML form sends them. */
export const providerForm = z.object({
  alias: z.string().trim().max(64).optional(),
  preset: z.enum(PRESETS).default('generic'),
  kind: z.enum(PROVIDER_KINDS).default('oidc'),
  tenant: optionalText,
  displayName: optionalText,
  issuer: optionalText,
  clientId: z.string().trim().max(255),
  clientSecret: z.string().max(4096).optional(),
  clientPrivateKey: z.string().trim().max(16_384).optional(),
  scopes: listText,
  sortOrder: z.coerce.number('form.sortOrderNumber').int('form.sortOrderWhole').default(0),
  tokenEndpointAuthMethod: z.enum(['auto', ...AUTH_METHODS]).default('auto'),
  denyLocalLogin: checkbox,
  autoRedirect: checkbox,
  linkMode: z.enum(LINK_MODES).default('never'),
  defaultUserGroups: listText,
  requireVerifiedEmail: checkbox,
  allowedEmailDomains: listText,
  matchClaim: optionalText,
  emailVerifiedClaim: optionalText,
  protectedGroups: listText,
  linkSilently: checkbox,
  groupMappings: mappingLines,
  groupOverage: z.enum(GROUP_OVERAGE).default('refuse'),
  graphEndpoint: optionalText,
  allowManualLinking: checkbox,
  federatedLogout: z.enum(['auto', 'on', 'off']).default('auto'),
  bypassTwoFactor: checkbox,
  syncProfile: z.enum(['import', 'force']).default('import'),
  authorizationEndpoint: optionalText,
  tokenEndpoint: optionalText,
  userinfoEndpoint: optionalText,
  emailsEndpoint: optionalText,
  subjectClaim: optionalText,
  nameClaim: optionalText,
});

export type ProviderForm = z.infer<typeof providerForm>;

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The registry's input. An empty text field is left out, so that a preset (or, on an edit, the
 * stored value) fills it; a blank secret or key on an edit keeps the stored one; lists are sent
 * as shown, so an emptied list is emptied.
 */
export function toProviderInput(form: ProviderForm, mode: 'create' | 'update'): Partial<Input> {
  const oauth2 = compact({
    authorizationEndpoint: form.authorizationEndpoint,
    tokenEndpoint: form.tokenEndpoint,
    userinfoEndpoint: form.userinfoEndpoint,
    emailsEndpoint: form.emailsEndpoint,
    subjectClaim: form.subjectClaim,
    nameClaim: form.nameClaim,
  });
  const options: Options = compact({
    ...(mode === 'create' ? { preset: form.preset } : {}),
    denyLocalLogin: form.denyLocalLogin,
    autoRedirect: form.autoRedirect,
    autoLink: compact({
      mode: form.linkMode,
      autoLinkExternalAccount: form.linkMode !== 'never',
      defaultUserGroups: form.defaultUserGroups,
      requireVerifiedEmail: form.requireVerifiedEmail,
      allowedEmailDomains: form.allowedEmailDomains,
      matchClaim: form.matchClaim,
      emailVerifiedClaim: form.emailVerifiedClaim,
      protectedGroups: form.protectedGroups,
      linkSilently: form.linkSilently,
    }),
    groupMappings: form.groupMappings,
    groupOverage: form.groupOverage,
    graphEndpoint: form.graphEndpoint,
    allowManualLinking: form.allowManualLinking,
    federatedLogout: form.federatedLogout === 'auto' ? null : form.federatedLogout === 'on',
    bypassTwoFactor: form.bypassTwoFactor,
    syncProfile: form.syncProfile,
    oauth2: Object.keys(oauth2).length ? (oauth2 as Options['oauth2']) : undefined,
  });
  // "Chosen from the upstream's metadata": on an edit the key must be there (and undefined) to
  // replace the stored choice; on a new provider it must be absent, or it would hide a preset's.
  if (form.tokenEndpointAuthMethod !== 'auto') options.tokenEndpointAuthMethod = form.tokenEndpointAuthMethod;
  else if (mode === 'update') options.tokenEndpointAuthMethod = undefined;
  return compact({
    // oidc is the default; sent only when oauth2, so that the GitHub preset's kind is not hidden.
    ...(mode === 'create'
      ? { kind: form.kind === 'oauth2' ? form.kind : undefined, tenant: form.tenant }
      : {}),
    displayName: form.displayName,
    issuer: form.issuer,
    clientId: form.clientId,
    clientSecret: form.clientSecret || undefined,
    clientPrivateKey: form.clientPrivateKey || undefined,
    scopes: form.scopes.length ? form.scopes : undefined,
    sortOrder: form.sortOrder,
    options,
  });
}

const mappingLine = (m: GroupMapping) =>
  m.value !== undefined ? `${m.claim}=${m.value}:${m.group}` : `${m.claim}~${m.pattern}:${m.group}`;

/** What the form shows for a stored provider, or the defaults of a new one. */
export function providerFormValues(p?: ExternalProvider): Record<string, unknown> {
  if (!p) {
    return {
      preset: 'generic',
      kind: 'oidc',
      tokenEndpointAuthMethod: 'auto',
      linkMode: 'never',
      requireVerifiedEmail: true,
      protectedGroups: 'admin',
      allowManualLinking: true,
      federatedLogout: 'auto',
      syncProfile: 'import',
      groupOverage: 'refuse',
      sortOrder: 0,
    };
  }
  const o = p.options;
  const a = o.autoLink;
  return {
    ...p,
    ...o.oauth2,
    preset: o.preset,
    scopes: p.scopes.join(', '),
    tokenEndpointAuthMethod: o.tokenEndpointAuthMethod ?? 'auto',
    denyLocalLogin: o.denyLocalLogin,
    autoRedirect: o.autoRedirect,
    linkMode: a.mode,
    defaultUserGroups: a.defaultUserGroups.join(', '),
    requireVerifiedEmail: a.requireVerifiedEmail,
    allowedEmailDomains: a.allowedEmailDomains.join(', '),
    matchClaim: a.matchClaim,
    emailVerifiedClaim: a.emailVerifiedClaim,
    protectedGroups: a.protectedGroups.join(', '),
    linkSilently: a.linkSilently,
    groupMappings: o.groupMappings.map(mappingLine).join('\n'),
    groupOverage: o.groupOverage,
    graphEndpoint: o.graphEndpoint,
    allowManualLinking: o.allowManualLinking,
    federatedLogout: o.federatedLogout === null ? 'auto' : o.federatedLogout ? 'on' : 'off',
    bypassTwoFactor: o.bypassTwoFactor,
    syncProfile: o.syncProfile,
    clientSecret: '',
    clientPrivateKey: '',
  };
}

/** The form shown again after a refusal: what was posted, never the secret or the key. */
export function postedValues(body: Record<string, unknown>): Record<string, unknown> {
  return { ...body, clientSecret: '', clientPrivateKey: '' };
}

export const PROVIDER_CHOICES = {
  presets: PRESETS,
  kinds: PROVIDER_KINDS,
  authMethods: ['auto', ...AUTH_METHODS],
  linkModes: LINK_MODES,
  groupOverages: GROUP_OVERAGE,
};
