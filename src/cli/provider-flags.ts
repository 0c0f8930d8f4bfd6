import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  type ExternalProvider,
  type ExternalProviderInput,
  type ExternalProviderOptions,
  providerInputSchema,
} from '../external-logins/external-provider.ts';
import type { OutputOptions } from './output.ts';
import { choice, collect } from './parsing.ts';
import {
  authMethodOption,
  type BridgingFlags,
  bridgingOptions,
  readPrivateKey,
  toBridgingAutoLink,
  toBridgingOptions,
} from './provider-bridging-flags.ts';
import { UsageError } from './runtime.ts';

const SYNC_PROFILE = ['import', 'force'] as const;
/** The registry's own default, so that `--no-scope` and the help text cannot drift from it. */
const DEFAULT_SCOPES: string[] = providerInputSchema.shape.scopes.parse(undefined);

type OptionsInput = NonNullable<ExternalProviderInput['options']>;
type AutoLinkInput = NonNullable<OptionsInput['autoLink']>;

/** Flags of `provider create` and `provider update`; `false` on a list comes from `--no-…`: clear it. */
export interface ProviderFlags extends OutputOptions, BridgingFlags {
  alias?: string;
  issuer?: string;
  clientId?: string;
  clientSecret?: string;
  displayName?: string;
  scope?: string[] | false;
  tokenEndpointAuthMethod?: ExternalProviderOptions['tokenEndpointAuthMethod'] | 'auto';
  sortOrder?: number;
  denyLocalLogin?: boolean;
  autoRedirect?: boolean;
  autoLink?: boolean;
  defaultGroup?: string[] | false;
  requireVerifiedEmail?: boolean;
  allowedEmailDomain?: string[] | false;
  manualLinking?: boolean;
  federatedLogout?: boolean;
  bypassTwoFactor?: boolean;
  syncProfile?: ExternalProviderOptions['syncProfile'];
}

export type CreateFlags = ProviderFlags & {
  alias: string;
  clientId: string;
};

/**
 * On/off options. `create` offers the spelling that departs from the default (docs/extending.md's
 * `--no-manual-linking`); `update` offers both, so that any switch can be turned back.
 */
const SWITCHES: Array<{ name: string; on: string; off: string; create: 'on' | 'off' | 'both' }> = [
  {
    name: 'deny-local-login',
    on: 'turn local passwords off for everyone while this provider exists',
    off: 'allow local passwords again (unless another provider denies them)',
    create: 'on',
  },
  {
    name: 'auto-redirect',
    on: 'send sign-ins straight to this provider',
    off: 'show the sign-in page again',
    create: 'on',
  },
  {
    name: 'auto-link',
    on: 'link to the local user with the same email, or create one',
    off: 'stop linking or creating users automatically',
    create: 'on',
  },
  {
    name: 'require-verified-email',
    on: 'auto-link only when the upstream says email_verified (default)',
    off: 'auto-link even when the upstream has not verified the email',
    create: 'both',
  },
  {
    name: 'manual-linking',
    on: 'let users link and unlink this provider on their account page',
    off: 'users may not link or unlink this provider themselves',
    create: 'off',
  },
  {
    name: 'federated-logout',
    on: 'signing out also signs out at the upstream (default: when it has an end-session endpoint)',
    off: 'signing out stays at Gatehouse',
    create: 'both',
  },
  {
    name: 'bypass-two-factor',
    on: "trust the upstream's authentication: no local second factor",
    off: 'ask for the local second factor again',
    create: 'on',
  },
];

/** The options both commands share, spelled the same in both. */
export function providerOptions(command: Command, mode: 'create' | 'update'): Command {
  const verb = mode === 'create' ? 'add' : 'set';
  command
    .option('--display-name <name>', 'text of the sign-in button (default: the alias)')
    .option(
      '--scope <scope>',
      `${verb} a scope to request, openid among them (repeatable; default: ${DEFAULT_SCOPES.join(' ')})`,
      collect,
    )
    .addOption(authMethodOption(mode))
    .option('--default-group <group>', `${verb} a group of auto-created users (repeatable)`, collect)
    .option(
      '--allowed-email-domain <domain>',
      `${verb} a domain auto-linking accepts (repeatable; default: any)`,
      collect,
    )
    .addOption(
      new Option(
        '--sync-profile <mode>',
        'import: copy name/email when the user is created (default); force: at every sign-in',
      ).argParser(choice(SYNC_PROFILE)),
    )
    .option(
      '--sort-order <n>',
      'position of the button; the first auto-redirect provider wins (default 0)',
      integer,
    );
  for (const s of SWITCHES) {
    if (mode === 'update' || s.create !== 'off') command.option(`--${s.name}`, s.on);
    if (mode === 'update' || s.create !== 'on') command.option(`--no-${s.name}`, s.off);
  }
  if (mode === 'update') {
    command
      .option('--no-scope', `request the default scopes again (${DEFAULT_SCOPES.join(' ')})`)
      .option('--no-default-group', 'auto-created users get no group')
      .option('--no-allowed-email-domain', 'auto-link any email domain');
  }
  return bridgingOptions(command, mode).addOption(new Option('--json', 'print machine-readable JSON'));
}

function integer(value: string): number {
  if (!/^-?\d{1,9}$/.test(value)) throw new InvalidArgumentError('Not an integer.');
  return Number(value);
}

export function toProviderInput(flags: CreateFlags): ExternalProviderInput {
  return compact({
    ...toProviderChanges(flags),
    alias: flags.alias,
    kind: flags.kind,
    tenant: flags.tenant,
    clientId: flags.clientId,
  }) as ExternalProviderInput;
}

/** Only what the flags name; the registry merges it over what is stored. */
export function toProviderChanges(flags: ProviderFlags): Partial<ExternalProviderInput> {
  const autoLink: AutoLinkInput = compact({
    autoLinkExternalAccount: flags.autoLink,
    defaultUserGroups: flags.defaultGroup === false ? [] : flags.defaultGroup,
    requireVerifiedEmail: flags.requireVerifiedEmail,
    allowedEmailDomains: flags.allowedEmailDomain === false ? [] : flags.allowedEmailDomain,
    ...toBridgingAutoLink(flags),
  });
  const options: OptionsInput = compact({
    ...toBridgingOptions(flags),
    tokenEndpointAuthMethod:
      flags.tokenEndpointAuthMethod === 'auto' ? undefined : flags.tokenEndpointAuthMethod,
    denyLocalLogin: flags.denyLocalLogin,
    autoRedirect: flags.autoRedirect,
    autoLink: Object.keys(autoLink).length ? autoLink : undefined,
    allowManualLinking: flags.manualLinking,
    federatedLogout: flags.federatedLogout,
    bypassTwoFactor: flags.bypassTwoFactor,
    syncProfile: flags.syncProfile,
  });
  // `auto` clears the admin's choice: the key must be present (and undefined) to replace the stored one.
  if (flags.tokenEndpointAuthMethod === 'auto') options.tokenEndpointAuthMethod = undefined;
  return compact({
    displayName: flags.displayName,
    issuer: flags.issuer,
    clientId: flags.clientId,
    clientSecret: flags.clientSecret,
    clientPrivateKey: readPrivateKey(flags.clientPrivateKeyFile),
    scopes: flags.scope === false ? DEFAULT_SCOPES : flags.scope,
    sortOrder: flags.sortOrder,
    options: Object.keys(options).length ? options : undefined,
  });
}

export function requireChanges(changes: Partial<ExternalProviderInput>): Partial<ExternalProviderInput> {
  if (Object.keys(changes).length === 0) throw new UsageError('nothing to change: give at least one option');
  return changes;
}

/** Drops unset keys: the registry spreads changes over the stored provider, where `undefined` would erase. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** What to register at the upstream for this provider: its redirect and logout URIs on our issuer. */
export interface UpstreamRegistration {
  redirectUri: string;
  postLogoutRedirectUri: string;
  backchannelLogoutUri: string;
  frontchannelLogoutUri: string;
}

export type ProviderView = Omit<ExternalProvider, 'clientSecret' | 'clientPrivateKey'> & {
  hasPrivateKey: boolean;
  register: UpstreamRegistration;
};

/** What `show`, `list` and `--json` print: everything but the client secret and key. */
export function providerView(provider: ExternalProvider, issuer: string): ProviderView {
  const { clientSecret: _secret, clientPrivateKey, ...rest } = provider;
  return {
    ...rest,
    hasPrivateKey: Boolean(clientPrivateKey),
    register: {
      redirectUri: `${issuer}/external/${provider.alias}/callback`,
      postLogoutRedirectUri: `${issuer}/logout/upstream-callback`,
      backchannelLogoutUri: `${issuer}/external/${provider.alias}/backchannel-logout`,
      frontchannelLogoutUri: `${issuer}/external/${provider.alias}/frontchannel-logout`,
    },
  };
}
