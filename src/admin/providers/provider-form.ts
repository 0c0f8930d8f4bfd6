import { z } from 'zod';
import type { ExternalProvider, ExternalProviderInput } from '../../external-logins/external-provider.ts';
import { checkbox, listText } from '../form-fields.ts';

/** Every option of `gatehouse provider create`, as an HTML form sends them. */
export const providerForm = z.object({
  alias: z.string().trim().max(64).optional(),
  displayName: z.string().trim().max(255).optional(),
  issuer: z.string().trim().max(2000),
  clientId: z.string().trim().max(255),
  clientSecret: z.string().max(4096).optional(),
  scopes: listText,
  sortOrder: z.coerce
    .number('The sort order must be a number.')
    .int('The sort order must be a whole number.')
    .default(0),
  tokenEndpointAuthMethod: z
    .enum(['client_secret_basic', 'client_secret_post'])
    .default('client_secret_basic'),
  denyLocalLogin: checkbox,
  autoRedirect: checkbox,
  autoLink: checkbox,
  defaultUserGroups: listText,
  requireVerifiedEmail: checkbox,
  allowedEmailDomains: listText,
  allowManualLinking: checkbox,
  federatedLogout: z.enum(['auto', 'on', 'off']).default('auto'),
  bypassTwoFactor: checkbox,
  syncProfile: z.enum(['import', 'force']).default('import'),
});

export type ProviderForm = z.infer<typeof providerForm>;

/** The registry's input; a blank secret on an edit keeps the stored one. */
export function toProviderInput(form: ProviderForm): Omit<ExternalProviderInput, 'alias' | 'clientSecret'> & {
  clientSecret?: string;
} {
  return {
    ...(form.displayName ? { displayName: form.displayName } : {}),
    issuer: form.issuer,
    clientId: form.clientId,
    ...(form.clientSecret ? { clientSecret: form.clientSecret } : {}),
    scopes: form.scopes.length ? form.scopes : ['openid', 'profile', 'email'],
    sortOrder: form.sortOrder,
    options: {
      tokenEndpointAuthMethod: form.tokenEndpointAuthMethod,
      denyLocalLogin: form.denyLocalLogin,
      autoRedirect: form.autoRedirect,
      autoLink: {
        autoLinkExternalAccount: form.autoLink,
        defaultUserGroups: form.defaultUserGroups,
        requireVerifiedEmail: form.requireVerifiedEmail,
        allowedEmailDomains: form.allowedEmailDomains,
      },
      allowManualLinking: form.allowManualLinking,
      federatedLogout: form.federatedLogout === 'auto' ? null : form.federatedLogout === 'on',
      bypassTwoFactor: form.bypassTwoFactor,
      syncProfile: form.syncProfile,
    },
  };
}

/** What the form shows for a stored provider, or the defaults of a new one. */
export function providerFormValues(p?: ExternalProvider): Record<string, unknown> {
  if (!p) {
    return {
      scopes: 'openid, profile, email',
      tokenEndpointAuthMethod: 'client_secret_basic',
      requireVerifiedEmail: true,
      allowManualLinking: true,
      federatedLogout: 'auto',
      syncProfile: 'import',
      sortOrder: 0,
    };
  }
  const o = p.options;
  return {
    alias: p.alias,
    displayName: p.displayName,
    issuer: p.issuer,
    clientId: p.clientId,
    scopes: p.scopes.join(', '),
    sortOrder: p.sortOrder,
    tokenEndpointAuthMethod: o.tokenEndpointAuthMethod,
    denyLocalLogin: o.denyLocalLogin,
    autoRedirect: o.autoRedirect,
    autoLink: o.autoLink.autoLinkExternalAccount,
    defaultUserGroups: o.autoLink.defaultUserGroups.join(', '),
    requireVerifiedEmail: o.autoLink.requireVerifiedEmail,
    allowedEmailDomains: o.autoLink.allowedEmailDomains.join(', '),
    allowManualLinking: o.allowManualLinking,
    federatedLogout: o.federatedLogout === null ? 'auto' : o.federatedLogout ? 'on' : 'off',
    bypassTwoFactor: o.bypassTwoFactor,
    syncProfile: o.syncProfile,
  };
}
