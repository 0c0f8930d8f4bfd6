import { type Command, Option } from 'commander';
import type { JWKS } from 'oidc-provider';
import { ACCESS_TOKEN_FORMATS, type AccessTokenFormat } from '../oidc/access-tokens.ts';
import { allowedGroupsOf } from '../oidc/application-access.ts';
import {
  AUTH_METHODS,
  type AuthMethod,
  type ClientChanges,
  type ClientInput,
  DEVICE_CODE_GRANT,
  type GrantType,
  PKCE_POLICIES,
  type PkcePolicy,
  pkceRequired,
  SIGNING_ALGS,
  type SigningAlg,
} from '../oidc/client-settings.ts';
import type { StoredClient } from '../oidc/client-store.ts';
import { CLIENT_DEFAULTS } from '../oidc/configuration.ts';
import type { OutputOptions } from './output.ts';
import { choice, collect, collectChoice } from './parsing.ts';
import { UsageError } from './runtime.ts';

const DEFAULT_GRANTS: GrantType[] = ['authorization_code', 'refresh_token'];

/** Flags of `client create` and `client update`; `false` comes from a `--no-…` flag: clear it. */
export interface ClientFlags extends OutputOptions {
  id?: string;
  name?: string;
  secret?: string;
  public?: boolean;
  authMethod?: AuthMethod;
  /** `false` from `--no-redirect-uri` (update): a machine-only client has none. */
  redirectUri?: string[] | false;
  postLogoutRedirectUri?: string[] | false;
  backchannelLogoutUri?: string | false;
  frontchannelLogoutUri?: string | false;
  grant?: GrantFlag[];
  scope?: string[] | false;
  skipConsent?: boolean;
  rotateSecret?: boolean;
  pkce?: PkcePolicy;
  /** The JWKS itself once the action has read `--jwks FILE|-`; `false` from `--no-jwks`. */
  jwks?: JWKS | string | false;
  jwksUri?: string | false;
  idTokenSigningAlg?: SigningAlg;
  userinfoSigningAlg?: SigningAlg | false;
  accessTokenFormat?: AccessTokenFormat;
  /** `--allowed-groups a,b` (repeatable); `false` from `--no-allowed-groups`. */
  allowedGroups?: string[] | false;
}

/** `--grant device_code` names the device grant by its short name. */
const GRANT_FLAGS = ['authorization_code', 'refresh_token', 'client_credentials', 'device_code'] as const;
type GrantFlag = (typeof GRANT_FLAGS)[number];

function grantTypes(flags: GrantFlag[]): GrantType[] {
  return flags.map((g) => (g === 'device_code' ? DEVICE_CODE_GRANT : g));
}

/** The registration flags both commands share, so that they are spelled the same in both. */
export function clientOptions(command: Command, mode: 'create' | 'update'): Command {
  const verb = mode === 'create' ? 'add' : 'set';
  command
    .option('--name <name>', 'display name, shown on the consent page')
    .addOption(
      new Option('--secret <secret>', 'client secret (default: generated; - reads it from stdin)').conflicts(
        'public',
      ),
    )
    .addOption(new Option('--public', 'public client (no secret), e.g. a single-page or native app'))
    .addOption(
      new Option('--auth-method <method>', `token endpoint authentication (${AUTH_METHODS.join('|')})`)
        .argParser(choice(AUTH_METHODS))
        .conflicts('public'),
    )
    .option(`--redirect-uri <uri>`, `${verb} a redirect URI (repeatable)`, collect)
    .option('--post-logout-redirect-uri <uri>', `${verb} a post-logout redirect URI (repeatable)`, collect)
    .option('--backchannel-logout-uri <uri>', 'back-channel logout endpoint of the application')
    .option(
      '--frontchannel-logout-uri <uri>',
      'front-channel logout page of the application (loaded in an iframe)',
    )
    .option(
      '--grant <grant>',
      `${verb} a grant type: ${GRANT_FLAGS.join('|')} (repeatable; default: ${DEFAULT_GRANTS.join(' and ')})`,
      collectChoice(GRANT_FLAGS),
    )
    .option('--scope <scope>', `${verb} an allowed scope (repeatable; default: every scope)`, collect)
    .option('--skip-consent', 'first-party application: its users see no consent page')
    .option(
      '--allowed-groups <groups>',
      'only members of these groups may use it (comma-separated, repeatable; default: everyone)',
      collectList,
    );
  settingOptions(command);
  if (mode === 'update') {
    command
      .option('--no-redirect-uri', 'remove every redirect URI (a client_credentials or device client)')
      .option('--no-post-logout-redirect-uri', 'remove every post-logout redirect URI')
      .option('--no-backchannel-logout-uri', 'remove the back-channel logout endpoint')
      .option('--no-frontchannel-logout-uri', 'remove the front-channel logout page')
      .option('--no-jwks', 'remove the registered public keys')
      .option('--no-jwks-uri', 'remove the registered JWKS URI')
      .option('--no-userinfo-signing-alg', 'userinfo answers plain JSON again')
      .option('--no-scope', 'allow every scope again')
      .option('--no-skip-consent', 'ask for consent again')
      .option('--no-allowed-groups', 'let every user use the application again')
      .addOption(
        new Option('--rotate-secret', 'replace the secret with a generated one (printed once)').conflicts([
          'secret',
          'public',
        ]),
      );
  }
  return command.addOption(new Option('--json', 'print machine-readable JSON'));
}

/** Protocol settings: PKCE, keys, algorithms. */
function settingOptions(command: Command): void {
  command
    .addOption(
      new Option(
        '--pkce <policy>',
        'PKCE: required (default) or optional (confidential clients only)',
      ).argParser(choice(PKCE_POLICIES)),
    )
    .option('--jwks <file>', "the client's public keys (JWKS JSON) for private_key_jwt; - reads stdin")
    .option('--jwks-uri <uri>', "where Gatehouse fetches the client's public keys for private_key_jwt")
    .addOption(
      new Option('--id-token-signing-alg <alg>', 'ID token signature (default ES256)').argParser(
        choice(SIGNING_ALGS),
      ),
    )
    .addOption(
      new Option(
        '--userinfo-signing-alg <alg>',
        'userinfo answers a signed JWT (default: plain JSON)',
      ).argParser(choice(SIGNING_ALGS)),
    )
    .addOption(
      new Option(
        '--access-token-format <format>',
        'opaque (default) or jwt: RFC 9068 tokens an API verifies with the JWKS alone, valid until they expire (5 minutes) even after revocation or sign-out',
      ).argParser(choice(ACCESS_TOKEN_FORMATS)),
    );
}

export function toClientInput(flags: ClientFlags & { id: string }): ClientInput {
  const grants = flags.grant ? grantTypes(flags.grant) : DEFAULT_GRANTS;
  const redirectUris = flags.redirectUri || [];
  if (grants.includes('authorization_code') && redirectUris.length === 0) {
    throw new UsageError('--redirect-uri is required for a client with the authorization_code grant');
  }
  return {
    clientId: flags.id,
    name: flags.name,
    secret: flags.secret,
    public: flags.public ?? false,
    authMethod: flags.authMethod,
    redirectUris,
    postLogoutRedirectUris: flags.postLogoutRedirectUri || [],
    backchannelLogoutUri: flags.backchannelLogoutUri || undefined,
    grants,
    scopes: flags.scope || [],
    skipConsent: flags.skipConsent ?? false,
    allowedGroups: flags.allowedGroups || [],
    ...protocolSettings(flags),
  };
}

/** `--allowed-groups staff,ops --allowed-groups admin`: every name, once. */
function collectList(value: string, previous: string[] | false | undefined): string[] {
  const names = value
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);
  return [...new Set([...(previous || []), ...names])];
}

function protocolSettings(flags: ClientFlags): Partial<ClientChanges> {
  const off = <T>(value: T | false | undefined) => (value === false ? null : value);
  return {
    frontchannelLogoutUri: off(flags.frontchannelLogoutUri),
    pkce: flags.pkce,
    jwks: typeof flags.jwks === 'string' ? undefined : off(flags.jwks),
    jwksUri: off(flags.jwksUri),
    idTokenSignedResponseAlg: flags.idTokenSigningAlg,
    userinfoSignedResponseAlg: off(flags.userinfoSigningAlg),
    accessTokenFormat: flags.accessTokenFormat,
  };
}

/** Only what the flags name changes; a secret or an auth method makes a public client confidential. */
export function toClientChanges(flags: ClientFlags): ClientChanges {
  const confidential = flags.secret !== undefined || flags.authMethod !== undefined;
  const changes: ClientChanges = {
    name: flags.name,
    secret: flags.secret,
    public: flags.public ? true : confidential ? false : undefined,
    authMethod: flags.authMethod,
    redirectUris: flags.redirectUri === false ? [] : flags.redirectUri,
    postLogoutRedirectUris: flags.postLogoutRedirectUri === false ? [] : flags.postLogoutRedirectUri,
    // ClientService drops an empty back-channel URI from the metadata: that is how it is removed.
    backchannelLogoutUri: flags.backchannelLogoutUri === false ? '' : flags.backchannelLogoutUri,
    grants: flags.grant ? grantTypes(flags.grant) : undefined,
    scopes: flags.scope === false ? [] : flags.scope,
    skipConsent: flags.skipConsent,
    rotateSecret: flags.rotateSecret,
    allowedGroups: flags.allowedGroups === false ? [] : flags.allowedGroups,
    ...protocolSettings(flags),
  };
  const given = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
  if (Object.keys(given).length === 0) throw new UsageError('nothing to change: give at least one option');
  return given;
}

export interface ClientView {
  clientId: string;
  name: string | null;
  type: 'public' | 'confidential';
  authMethod: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  backchannelLogoutUri: string | null;
  frontchannelLogoutUri: string | null;
  grants: string[];
  /** Empty: every scope the provider offers. */
  scopes: string[];
  skipConsent: boolean;
  pkce: PkcePolicy;
  jwksUri: string | null;
  /** How many public keys are registered inline. */
  jwksKeys: number;
  idTokenSigningAlg: string;
  userinfoSigningAlg: string | null;
  accessTokenFormat: AccessTokenFormat;
  /** Empty: every user may use the application. */
  allowedGroups: string[];
  createdAt: Date;
  updatedAt: Date;
}

/** What `show`, `list` and `--json` print: the registration, never a secret. */
export function clientView(client: StoredClient): ClientView {
  const m = client.metadata;
  const authMethod = String(m.token_endpoint_auth_method ?? 'client_secret_basic');
  return {
    clientId: client.clientId,
    name: typeof m.client_name === 'string' ? m.client_name : null,
    type: authMethod === 'none' ? 'public' : 'confidential',
    authMethod,
    redirectUris: [...(m.redirect_uris ?? [])],
    postLogoutRedirectUris: [...(m.post_logout_redirect_uris ?? [])],
    backchannelLogoutUri: typeof m.backchannel_logout_uri === 'string' ? m.backchannel_logout_uri : null,
    frontchannelLogoutUri: typeof m.frontchannel_logout_uri === 'string' ? m.frontchannel_logout_uri : null,
    grants: [...(m.grant_types ?? [])],
    scopes: typeof m.scope === 'string' && m.scope ? m.scope.split(' ') : [],
    skipConsent: client.skipConsent,
    pkce: pkceRequired(m) ? 'required' : 'optional',
    jwksUri: typeof m.jwks_uri === 'string' ? m.jwks_uri : null,
    jwksKeys: m.jwks?.keys.length ?? 0,
    idTokenSigningAlg: String(m.id_token_signed_response_alg ?? CLIENT_DEFAULTS.id_token_signed_response_alg),
    userinfoSigningAlg:
      typeof m.userinfo_signed_response_alg === 'string' ? m.userinfo_signed_response_alg : null,
    accessTokenFormat: m.access_token_format === 'jwt' ? 'jwt' : 'opaque',
    allowedGroups: allowedGroupsOf(m),
    createdAt: client.createdAt,
    updatedAt: client.updatedAt,
  };
}
