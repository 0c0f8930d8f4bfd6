import { type Command, Option } from 'commander';
import type { Gatehouse } from '../container.ts';
import { AppError } from '../errors/app-error.ts';
import { checkDiscovery, type DiscoveryReport } from '../external-logins/discovery-check.ts';
import type { ExternalProvider } from '../external-logins/external-provider.ts';
import type { GroupMapping } from '../external-logins/provider-schema.ts';
import { auditCli } from './audit.ts';
import { discoveryLines } from './discovery-lines.ts';
import { required } from './errors.ts';
import { fields, type OutputOptions, print, table } from './output.ts';
import { secretArg } from './parsing.ts';
import {
  type CreateFlags,
  type ProviderFlags,
  type ProviderView,
  providerOptions,
  providerView,
  requireChanges,
  toProviderChanges,
  toProviderInput,
} from './provider-flags.ts';
import { type Env, withGatehouse } from './runtime.ts';

const json = () => new Option('--json', 'print machine-readable JSON');

export function registerProviderCommands(program: Command, env: Env): void {
  const provider = program
    .command('provider')
    .description('manage the upstream OpenID providers users can sign in with (Entra ID, Okta, Keycloak…)');

  registerCreate(provider, env);
  provider
    .command('list')
    .description('list upstream providers, in sign-in button order')
    .addOption(json())
    .action((flags: OutputOptions) => withGatehouse(env, (g) => listProviders(g, flags)));

  provider
    .command('show <alias>')
    .description('show one upstream provider (never its client secret)')
    .addOption(json())
    .action((alias: string, flags: OutputOptions) =>
      withGatehouse(env, async (g) => {
        const view = providerView(await g.external.registry.require(alias), g.settings.issuer);
        print(flags, view, () => [providerDetails(view), '', ...registration(view)].join('\n'));
      }),
    );

  registerUpdate(provider, env);
  provider
    .command('delete <alias>')
    .description("remove an upstream provider; its users' links are kept for when the alias comes back")
    .addOption(json())
    .action((alias: string, flags: OutputOptions) =>
      withGatehouse(env, async (g) => {
        const before = providerView(await g.external.registry.require(alias), g.settings.issuer);
        await g.external.registry.delete(alias);
        await auditCli(g, { action: 'provider.delete', target: { type: 'provider', id: alias }, before });
        print(
          flags,
          { deleted: alias, linksKept: true },
          () =>
            `Deleted provider ${alias}. Its users' links are kept: they work again if a provider with alias ${alias} is added again.`,
        );
      }),
    );
}

function registerCreate(provider: Command, env: Env): void {
  providerOptions(
    provider
      .command('create')
      .description('add an upstream provider; prints the URIs to register at the upstream')
      .addOption(
        required(
          new Option('--alias <alias>', 'short name in URLs and links: lowercase letters, digits, - or _'),
        ),
      )
      .option(
        '--issuer <url>',
        "the upstream's issuer URL (https; presets google, github and entra --tenant fill it)",
      )
      .addOption(required(new Option('--client-id <id>', 'client_id Gatehouse has at the upstream')))
      .option('--client-secret <secret>', 'its client secret (- reads it from stdin)')
      .option('--no-check', "add it without fetching the upstream's discovery document first"),
    'create',
  ).action(async (flags: CreateFlags & { check: boolean }) => {
    const clientSecret = await secretArg(flags.clientSecret);
    await withGatehouse(env, (g) =>
      createProvider(g, { ...flags, ...(clientSecret ? { clientSecret } : {}) }),
    );
  });
}

function registerUpdate(provider: Command, env: Env): void {
  providerOptions(
    provider
      .command('update <alias>')
      .description(
        'change an upstream provider; only the options given change, a list option replaces that list',
      )
      .option('--issuer <url>', "the upstream's issuer URL (https)")
      .option('--client-id <id>', 'client_id Gatehouse has at the upstream')
      .option('--client-secret <secret>', 'its client secret (- reads it from stdin)'),
    'update',
  ).action(async (alias: string, flags: ProviderFlags) => {
    const clientSecret = await secretArg(flags.clientSecret);
    const changes = requireChanges(toProviderChanges({ ...flags, clientSecret }));
    await withGatehouse(env, async (g) => {
      const before = providerView(await g.external.registry.require(alias), g.settings.issuer);
      const view = providerView(await g.external.registry.update(alias, changes), g.settings.issuer);
      await auditCli(g, {
        action: 'provider.update',
        target: { type: 'provider', id: alias },
        before,
        after: view,
      });
      print(flags, view, () => [`Updated provider ${alias}.`, providerDetails(view)].join('\n'));
    });
  });
}

/**
 * The upstream's discovery document is fetched before anything is stored: a typo in the issuer, a
 * firewall or a wrong tenant shows here, with its cause, rather than at a user's first sign-in.
 */
async function createProvider(g: Gatehouse, flags: CreateFlags & { check: boolean }): Promise<void> {
  const input = toProviderInput(flags);
  const discovery = flags.check ? await checkUpstream(await g.external.registry.draft(input)) : undefined;
  const created = await g.external.registry.create(input);
  const view = providerView(created, g.settings.issuer);
  await auditCli(g, { action: 'provider.create', target: { type: 'provider', id: view.alias }, after: view });
  print(flags, discovery ? { ...view, discovery } : view, () =>
    [
      `Created provider ${view.alias}.`,
      providerDetails(view),
      ...(discovery ? ['', ...discoveryLines(discovery)] : []),
      '',
      ...registration(view),
    ].join('\n'),
  );
}

async function checkUpstream(draft: ExternalProvider): Promise<DiscoveryReport> {
  const report = await checkDiscovery(draft);
  if (!report.ok) {
    throw new AppError(
      'upstream_unavailable',
      `${draft.issuer}: ${report.error ?? 'the discovery document lacks the authorization or token endpoint.'} Check the issuer, or add the provider anyway with --no-check.`,
    );
  }
  return report;
}

async function listProviders(g: Gatehouse, flags: OutputOptions): Promise<void> {
  const views = (await g.external.registry.list()).map((p) => providerView(p, g.settings.issuer));
  print(
    flags,
    views,
    () =>
      table(
        ['ALIAS', 'DISPLAY NAME', 'ISSUER', 'CLIENT ID', 'SOURCE', 'OPTIONS'],
        views.map((v) => [v.alias, v.displayName, v.issuer, v.clientId, v.source, switchesOn(v).join(',')]),
      ) || 'No external login providers.',
  );
}

/** The switches that differ from their defaults, as the flags that set them. */
function switchesOn(p: Pick<ExternalProvider, 'options'>): string[] {
  const o = p.options;
  const on: Array<[boolean, string]> = [
    [o.denyLocalLogin, 'deny-local-login'],
    [o.autoRedirect, 'auto-redirect'],
    [o.autoLink.autoLinkExternalAccount, 'auto-link'],
    [!o.allowManualLinking, 'no-manual-linking'],
    [o.federatedLogout === false, 'no-federated-logout'],
    [o.bypassTwoFactor, 'bypass-two-factor'],
  ];
  return on.filter(([set]) => set).map(([, flag]) => flag);
}

function providerDetails(v: ProviderView): string {
  const o = v.options;
  const a = o.autoLink;
  return fields([
    ['alias', v.alias],
    ['display name', v.displayName],
    ['source', v.source === 'code' ? 'code (GATEHOUSE_EXTENSIONS; read-only here)' : 'database'],
    ['issuer', v.issuer],
    ['client_id', v.clientId],
    ['kind', v.kind],
    ['preset', o.preset],
    ['token auth method', o.tokenEndpointAuthMethod ?? "chosen from the upstream's metadata"],
    ['client key', v.hasPrivateKey ? 'private key (private_key_jwt)' : 'none'],
    ['scopes', v.scopes.join(' ')],
    ['sort order', String(v.sortOrder)],
    ['deny local login', yesNo(o.denyLocalLogin)],
    ['auto-redirect', yesNo(o.autoRedirect)],
    ['link mode', a.mode],
    ['match claim', a.matchClaim],
    ['verified by', a.requireVerifiedEmail ? a.emailVerifiedClaim : "trusted: this provider's addresses"],
    ['protected groups', a.protectedGroups.length ? a.protectedGroups : ['none']],
    ['link silently', yesNo(a.linkSilently)],
    ['default groups', a.defaultUserGroups],
    ['verified email only', yesNo(a.requireVerifiedEmail)],
    ['email domains', a.allowedEmailDomains.length ? a.allowedEmailDomains : ['any']],
    ['manual linking', yesNo(o.allowManualLinking)],
    [
      'federated logout',
      o.federatedLogout === null ? 'when the upstream has an end-session endpoint' : yesNo(o.federatedLogout),
    ],
    ['bypass two-factor', yesNo(o.bypassTwoFactor)],
    ['sync profile', o.syncProfile],
    ['group mappings', o.groupMappings.length ? o.groupMappings.map(mappingText) : ['none']],
    ['group overage', o.groupOverage],
    ...(o.oauth2
      ? ([
          ['authorization URL', o.oauth2.authorizationEndpoint],
          ['token URL', o.oauth2.tokenEndpoint],
          ['user-info URL', o.oauth2.userinfoEndpoint],
          ['emails URL', o.oauth2.emailsEndpoint ?? 'none'],
        ] as Array<[string, string]>)
      : []),
  ]);
}

function mappingText(m: GroupMapping): string {
  return m.value !== undefined
    ? `${m.claim}=${m.value} → ${m.group}`
    : `${m.claim}~${m.pattern} → ${m.group}`;
}

/** Every upstream (Entra ID, Okta, Keycloak…) asks for these when Gatehouse's client is registered there. */
function registration(v: ProviderView): string[] {
  return [
    'Register at the upstream, in its client registration for Gatehouse:',
    fields([
      ['  redirect URI', v.register.redirectUri],
      ['  post-logout redirect URI', v.register.postLogoutRedirectUri],
      ['  back-channel logout URI', v.register.backchannelLogoutUri],
      ['  front-channel logout URI', v.register.frontchannelLogoutUri],
    ]),
  ];
}

function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}
