import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { ExternalProviderInput } from '../external-logins/external-provider.ts';
import {
  AUTH_METHODS,
  GROUP_OVERAGE,
  type GroupMapping,
  LINK_MODES,
  type LinkMode,
  PRESETS,
  PROVIDER_KINDS,
  type Preset,
  type ProviderKind,
  type TokenEndpointAuthMethod,
} from '../external-logins/provider-schema.ts';
import { choice, collect } from './parsing.ts';
import { UsageError } from './runtime.ts';

type OptionsInput = NonNullable<ExternalProviderInput['options']>;

/** Flags for the upstreams people really use: presets, plain OAuth2, matching and group mapping. */
export interface BridgingFlags {
  kind?: ProviderKind;
  preset?: Preset;
  tenant?: string;
  clientPrivateKeyFile?: string;
  linkMode?: LinkMode;
  matchClaim?: string;
  emailVerifiedClaim?: string;
  protectedGroup?: string[] | false;
  linkSilently?: boolean;
  mapGroup?: GroupMapping[] | false;
  groupOverage?: (typeof GROUP_OVERAGE)[number];
  graphEndpoint?: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  userinfoEndpoint?: string;
  emailsEndpoint?: string;
  subjectClaim?: string;
  nameClaim?: string;
}

export function bridgingOptions(command: Command, mode: 'create' | 'update'): Command {
  const verb = mode === 'create' ? 'add' : 'set';
  if (mode === 'create') {
    command
      .addOption(
        new Option(
          '--preset <name>',
          `fill the defaults of a known upstream: ${PRESETS.join('|')}`,
        ).argParser(choice(PRESETS)),
      )
      .option('--tenant <id>', 'Entra ID tenant (id or domain): the issuer is derived from it')
      .addOption(
        new Option(
          '--kind <kind>',
          'oidc (default) or oauth2 (authorize, token and user-info URLs)',
        ).argParser(choice(PROVIDER_KINDS)),
      );
  }
  command
    .option(
      '--client-private-key-file <path>',
      'PKCS#8 PEM (optionally with its certificate) for private_key_jwt',
    )
    .addOption(
      new Option('--link-mode <mode>', `${LINK_MODES.join('|')} (what auto-linking may do)`).argParser(
        choice(LINK_MODES),
      ),
    )
    .option(
      '--match-claim <claim>',
      'claim matched against local addresses: email (default), upn, preferred_username…',
    )
    .option(
      '--email-verified-claim <claim>',
      'claim proving the address is verified (default email_verified; Entra: xms_edov)',
    )
    .option(
      '--protected-group <group>',
      `${verb} a group never auto-linked without proof (default: admin)`,
      collect,
    )
    .option('--link-silently', 'link onto existing accounts with another way in without asking for proof')
    .option(
      '--map-group <claim=value:group>',
      `${verb} a group mapping (claim=value:group or claim~regex:group; repeatable)`,
      collectMapping,
    )
    .addOption(
      new Option('--group-overage <mode>', "Entra's group overage: refuse (default) or graph").argParser(
        choice(GROUP_OVERAGE),
      ),
    )
    .option('--graph-endpoint <url>', 'Microsoft Graph base URL (default https://graph.microsoft.com)')
    .option('--authorization-endpoint <url>', 'oauth2: the authorization URL')
    .option('--token-endpoint <url>', 'oauth2: the token URL')
    .option('--userinfo-endpoint <url>', 'oauth2: the URL answering the signed-in user as JSON')
    .option('--emails-endpoint <url>', "oauth2: GitHub's /user/emails (the verified primary address)")
    .option('--subject-claim <field>', 'oauth2: user-info field that never changes (default id)')
    .option('--name-claim <field>', 'oauth2: user-info field with the display name (default name)');
  if (mode === 'update') {
    command
      .option('--no-link-silently', 'ask for proof before linking onto an existing account (default)')
      .option('--no-protected-group', 'no protected groups')
      .option('--no-map-group', 'remove every group mapping');
  }
  return command;
}

/** `groups=8d2a…:staff` or `roles~^app-(admin|ops)$:operators`: the group follows the last colon. */
export function collectMapping(value: string, previous: GroupMapping[] | undefined): GroupMapping[] {
  const match = /^([^=~]+)([=~])(.+):([^:]+)$/.exec(value);
  if (!match) throw new InvalidArgumentError('Expected claim=value:group or claim~regex:group.');
  const [, claim = '', op, matcher = '', group = ''] = match;
  const mapping: GroupMapping =
    op === '=' ? { claim, value: matcher, group } : { claim, pattern: matcher, group };
  return [...(previous ?? []), mapping];
}

export function authMethodOption(mode: 'create' | 'update'): Option {
  const choices = mode === 'update' ? ([...AUTH_METHODS, 'auto'] as const) : AUTH_METHODS;
  return new Option(
    '--token-endpoint-auth-method <method>',
    `${choices.join('|')} (default: chosen from the upstream's token_endpoint_auth_methods_supported)`,
  ).argParser(choice<TokenEndpointAuthMethod | 'auto'>(choices));
}

export function readPrivateKey(path: string | undefined): string | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `--client-private-key-file: cannot read ${path} (${(error as NodeJS.ErrnoException).code})`,
    );
  }
}

/** The parts of a provider's options these flags name. */
export function toBridgingOptions(flags: BridgingFlags): Partial<OptionsInput> {
  const oauth2 = compact({
    authorizationEndpoint: flags.authorizationEndpoint,
    tokenEndpoint: flags.tokenEndpoint,
    userinfoEndpoint: flags.userinfoEndpoint,
    emailsEndpoint: flags.emailsEndpoint,
    subjectClaim: flags.subjectClaim,
    nameClaim: flags.nameClaim,
  });
  return compact({
    preset: flags.preset,
    groupMappings: flags.mapGroup === false ? [] : flags.mapGroup,
    groupOverage: flags.groupOverage,
    graphEndpoint: flags.graphEndpoint,
    oauth2: Object.keys(oauth2).length ? (oauth2 as OptionsInput['oauth2']) : undefined,
  });
}

export function toBridgingAutoLink(flags: BridgingFlags): Record<string, unknown> {
  return compact({
    mode: flags.linkMode,
    matchClaim: flags.matchClaim,
    emailVerifiedClaim: flags.emailVerifiedClaim,
    protectedGroups: flags.protectedGroup === false ? [] : flags.protectedGroup,
    linkSilently: flags.linkSilently,
  });
}

export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
