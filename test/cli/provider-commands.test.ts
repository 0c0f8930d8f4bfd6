import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderView } from '../../src/cli/provider-flags.ts';
import { Browser, textOf } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { registerTestApp, startAuthorization } from '../support/sign-in-flow.ts';
import { pressUpstreamButton } from '../support/upstream-flow.ts';
import { startUpstream, type UpstreamOp } from '../support/upstream-op.ts';
import { type CliOptions, cliJson, expectOneLineError, runCli, runMany } from './run-cli.ts';

/** A provider declared in code, which the command lists but must not change. */
const EXTENSION = `export function configure(builder) {
  builder.addExternalLoginProvider({
    alias: 'in-code', issuer: 'https://idp.example.com', clientId: 'gatehouse', clientSecret: 'code-secret',
  });
}
`;

describe('gatehouse provider', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let upstream: UpstreamOp;
  let config: oidc.Configuration;
  let on: CliOptions;
  let extensionDir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    // A running server on the same database: what the command adds, it must offer at sign-in.
    gh = await startGatehouse({ databaseUrl: db.url });
    upstream = await startUpstream({
      gatehouseIssuer: gh.issuer,
      alias: 'corp',
      users: [{ sub: 'u-ada', email: 'ada@example.com', email_verified: true, name: 'Ada Upstream' }],
    });
    config = await registerTestApp(gh);
    // The upstream runs on loopback over plain http, which the command allows only with this setting.
    on = { env: { DATABASE_URL: db.url, ISSUER: gh.issuer, ALLOW_PRIVATE_NETWORK_FETCH: 'true' } };
    extensionDir = mkdtempSync(join(tmpdir(), 'gatehouse-provider-cli-'));
    writeFileSync(join(extensionDir, 'extensions.mjs'), EXTENSION);
  });

  afterAll(async () => {
    await gh?.stop();
    await upstream?.close();
    await db?.drop();
    if (extensionDir) rmSync(extensionDir, { recursive: true, force: true });
  });

  /** Signs in on the app through the upstream's button; answers the ID token's claims. */
  async function signInThroughUpstream(): Promise<oidc.IDToken | undefined> {
    const browser = new Browser();
    const started = await startAuthorization(browser, config);
    expect(textOf(started.page)).toContain('Sign in with Corp ID');
    const page = await pressUpstreamButton(browser, started.page, upstream, 'u-ada');
    return (await started.finish(page)).claims();
  }

  it('creates a provider, prints what to register upstream, and a running Gatehouse signs in with it', async () => {
    const created = await runCli(
      ['provider', 'create', '--alias', 'corp', '--issuer', upstream.issuer, '--client-id', upstream.clientId]
        .concat([
          '--client-secret',
          '-',
          '--display-name',
          'Corp ID',
          '--auto-link',
          '--default-group',
          'staff',
        ])
        .concat(['--sync-profile', 'force', '--sort-order', '1', '--no-federated-logout']),
      { ...on, input: `${upstream.clientSecret}\n` },
    );
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('Created provider corp.');
    expect(created.stdout).toMatch(new RegExp(`redirect URI: +${gh.issuer}/external/corp/callback\n`));
    expect(created.stdout).toMatch(
      new RegExp(`post-logout redirect URI: +${gh.issuer}/logout/upstream-callback\n`),
    );
    expect(created.stdout).toMatch(
      new RegExp(`back-channel logout URI: +${gh.issuer}/external/corp/backchannel-logout\n`),
    );
    expect(created.stdout).not.toContain(upstream.clientSecret);
    // The upstream's discovery document was read first, and the command says what it offers.
    expect(created.stdout).toContain(`Discovery (${upstream.issuer}/.well-known/openid-configuration):`);
    expect(created.stdout).toMatch(/ {2}authorization: +http\S+\n/);
    expect(created.stdout).toMatch(/ {2}end-session: +http\S+\n/);
    expect(created.stdout).toMatch(/ {2}back-channel logout: +(supported|not supported)\n/);
    expect(created.stdout).toMatch(/ {2}ID token algs: +\S+/);

    // Auto-link created the user, with the default group.
    expect(await signInThroughUpstream()).toMatchObject({ email: 'ada@example.com', groups: ['staff'] });
  });

  it('shows and lists providers, as text or JSON, never with the client secret', async () => {
    const [showJson, show, listJson, list] = await runMany(
      [['show', 'corp', '--json'], ['show', 'corp'], ['list', '--json'], ['list']].map((a) => [
        'provider',
        ...a,
      ]),
      on,
    );
    const view = JSON.parse(showJson?.stdout ?? '') as ProviderView;
    expect(view).toMatchObject({
      alias: 'corp',
      displayName: 'Corp ID',
      issuer: upstream.issuer,
      clientId: upstream.clientId,
      scopes: ['openid', 'profile', 'email'],
      sortOrder: 1,
      source: 'database',
      kind: 'oidc',
      hasPrivateKey: false,
      options: {
        preset: 'generic',
        autoLink: {
          autoLinkExternalAccount: true,
          mode: 'link-and-create',
          defaultUserGroups: ['staff'],
          requireVerifiedEmail: true,
          matchClaim: 'email',
          protectedGroups: ['admin'],
        },
        allowManualLinking: true,
        federatedLogout: false,
        syncProfile: 'force',
      },
      register: { redirectUri: `${gh.issuer}/external/corp/callback` },
    });
    expect(view).not.toHaveProperty('clientSecret');
    expect(view.options.tokenEndpointAuthMethod, "chosen from the upstream's metadata").toBeUndefined();
    expect(show?.stdout).toMatch(/^alias: +corp\n/);
    expect(show?.stdout).toMatch(/token auth method: +chosen from the upstream's metadata\n/);
    expect(show?.stdout).toMatch(/link mode: +link-and-create\n/);
    expect(JSON.parse(listJson?.stdout ?? '')).toEqual([expect.objectContaining({ alias: 'corp' })]);
    expect(list?.stdout).toMatch(
      /^ALIAS +DISPLAY NAME +ISSUER .*\ncorp +Corp ID +http.* auto-link,no-federated-logout\n$/,
    );
    for (const r of [showJson, show, listJson, list]) expect(r?.stdout).not.toContain(upstream.clientSecret);
  });

  it('updates only the options given; --no-… clears a list or turns a switch off', async () => {
    const updated = await cliJson<ProviderView>(
      ['provider', 'update', 'corp', '--display-name', 'Corp SSO', '--no-default-group']
        .concat([
          '--no-require-verified-email',
          '--allowed-email-domain',
          'example.com',
          '--no-manual-linking',
        ])
        .concat([
          '--federated-logout',
          '--bypass-two-factor',
          '--token-endpoint-auth-method',
          'client_secret_post',
        ])
        .concat(['--link-mode', 'link-only', '--match-claim', 'upn', '--email-verified-claim', 'xms_edov'])
        .concat([
          '--map-group',
          'groups=2f1c-oid:staff',
          '--map-group',
          'roles~^ops-.*$:ops',
          '--link-silently',
        ]),
      on,
    );
    expect(updated).toMatchObject({
      displayName: 'Corp SSO',
      clientId: upstream.clientId,
      sortOrder: 1,
      options: {
        tokenEndpointAuthMethod: 'client_secret_post',
        // Changing some auto-link options keeps the others.
        autoLink: {
          autoLinkExternalAccount: true,
          mode: 'link-only',
          matchClaim: 'upn',
          emailVerifiedClaim: 'xms_edov',
          linkSilently: true,
          defaultUserGroups: [],
          requireVerifiedEmail: false,
          allowedEmailDomains: ['example.com'],
        },
        groupMappings: [
          { claim: 'groups', value: '2f1c-oid', group: 'staff' },
          { claim: 'roles', pattern: '^ops-.*$', group: 'ops' },
        ],
        allowManualLinking: false,
        federatedLogout: true,
        bypassTwoFactor: true,
        syncProfile: 'force',
      },
    });

    const back = await runCli(
      [
        'provider',
        'update',
        'corp',
        '--display-name',
        'Corp ID',
        '--no-allowed-email-domain',
        '--manual-linking',
      ].concat([
        '--no-bypass-two-factor',
        '--token-endpoint-auth-method',
        'auto',
        '--no-auto-link',
        '--no-map-group',
        '--no-link-silently',
      ]),
      on,
    );
    expect(back.stdout).toMatch(/^Updated provider corp\.\n/);
    const stored = await gh.gatehouse.external.registry.require('corp');
    expect(stored.options.tokenEndpointAuthMethod).toBeUndefined();
    expect(stored.options).toMatchObject({
      groupMappings: [],
      autoLink: {
        autoLinkExternalAccount: false,
        mode: 'never',
        linkSilently: false,
        requireVerifiedEmail: false,
        allowedEmailDomains: [],
      },
      allowManualLinking: true,
      bypassTwoFactor: false,
    });
    // The secret read from stdin at creation is still the one stored.
    expect(stored.clientSecret).toBe(upstream.clientSecret);
  });

  it("deletes a provider; its users' links are kept and work again when the alias is added back", async () => {
    const before = await signInThroughUpstream();
    const deleted = await runCli(['provider', 'delete', 'corp'], on);
    expect(deleted.stdout).toMatch(/^Deleted provider corp\. Its users' links are kept/);
    const page = (await startAuthorization(new Browser(), config)).page;
    expect(textOf(page)).not.toContain('Corp ID');

    // Added back without auto-link: only the kept link can sign Ada in.
    const readded = await cliJson<ProviderView>(
      [
        'provider',
        'create',
        '--alias',
        'corp',
        '--issuer',
        upstream.issuer,
        '--client-id',
        upstream.clientId,
      ].concat(['--client-secret', upstream.clientSecret, '--display-name', 'Corp ID']),
      on,
    );
    expect(readded.register.backchannelLogoutUri).toBe(`${gh.issuer}/external/corp/backchannel-logout`);
    expect((await signInThroughUpstream())?.sub).toBe(before?.sub);
  });

  it('refuses bad input with one line and a failure status', async () => {
    // Throwaway credentials: each refusal comes before any upstream would be asked.
    const create = (alias: string, issuer: string, ...more: string[]) =>
      `provider create --client-id c --client-secret s --alias ${alias} --issuer ${issuer}`
        .split(' ')
        .concat(more);
    const cases: Array<[string[], string | RegExp, number]> = [
      [
        'provider create --alias x --client-id c --client-secret s'.split(' '),
        'gatehouse: Invalid provider: issuer must be an http(s) URL',
        1,
      ],
      [
        'provider create --alias x --client-id c --client-secret s --preset entra'.split(' '),
        'gatehouse: Invalid provider: the entra preset needs a tenant (id or domain) or an issuer',
        1,
      ],
      [
        create('x', 'https://idp.example.com', '--map-group', 'groups:staff'),
        /Expected claim=value:group or claim~regex:group\./,
        2,
      ],
      [create('x', 'not-a-url'), 'gatehouse: Invalid provider: issuer must be an http(s) URL', 1],
      [
        create('Bad_Alias', 'https://idp.example.com'),
        /Invalid provider: alias must be lowercase letters/,
        1,
      ],
      [create('corp', 'https://idp.example.com'), 'gatehouse: A provider "corp" already exists.', 1],
      [
        create('x', 'https://idp.example.com', '--scope', 'email'),
        'gatehouse: The scopes must include openid.',
        1,
      ],
      [
        create('x', 'https://idp.example.com', '--token-endpoint-auth-method', 'private_key_jwt'),
        'gatehouse: private_key_jwt needs the client private key.',
        1,
      ],
      [
        create('x', 'https://idp.example.com', '--token-endpoint-auth-method', 'client_secret_jwt'),
        /Allowed choices are client_secret_basic, client_secret_post, private_key_jwt\./,
        2,
      ],
      [
        create('x', 'https://idp.example.com', '--default-group', 'bad group!'),
        /^gatehouse: Invalid provider: .*defaultUserGroups.* must be a group name: letters, digits/,
        1,
      ],
      [['provider', 'show', 'ghost'], 'gatehouse: No external login provider "ghost".', 1],
      [['provider', 'delete', 'ghost'], 'gatehouse: No external login provider "ghost".', 1],
      [['provider', 'update', 'corp'], 'gatehouse: nothing to change: give at least one option', 2],
    ];
    const results = await runMany(
      cases.map(([args]) => args),
      on,
    );
    cases.forEach(([, message, code], i) => {
      const result = results[i] ?? { code: 0, stdout: '', stderr: '' };
      expect(expectOneLineError(result)).toMatch(message);
      expect(result.code).toBe(code);
    });

    // Issue 14: an issuer that does not answer is refused with the cause; --no-check adds it anyway.
    const unreachable = create('gone', 'http://127.0.0.1:65531');
    // In order: the refusal must be seen before --no-check adds the same alias.
    const refusedGone = await runCli(unreachable, on);
    const addedGone = await runCli([...unreachable, '--no-check', '--json'], on);
    expect(expectOneLineError(refusedGone)).toMatch(
      /^gatehouse: http:\/\/127\.0\.0\.1:65531: The discovery document could not be fetched \(TypeError: fetch failed: Error: connect ECONNREFUSED 127\.0\.0\.1:65531\)\. Check the issuer, or add the provider anyway with --no-check\.$/,
    );
    expect(JSON.parse(addedGone.stdout)).toMatchObject({
      alias: 'gone',
      issuer: 'http://127.0.0.1:65531',
    });
    expect(JSON.parse(addedGone.stdout)).not.toHaveProperty('discovery');
    expect((await runCli(['provider', 'delete', 'gone'], on)).code).toBe(0);

    const withoutHttp = { env: { ...on.env, ALLOW_PRIVATE_NETWORK_FETCH: undefined } };
    const withCode = { env: { ...on.env, GATEHOUSE_EXTENSIONS: join(extensionDir, 'extensions.mjs') } };
    const [http, codeUpdate, codeList] = await Promise.all([
      runCli(create('x', upstream.issuer), withoutHttp),
      runCli(['provider', 'update', 'in-code', '--display-name', 'Changed'], withCode),
      cliJson<ProviderView[]>(['provider', 'list'], withCode),
    ]);
    expect(expectOneLineError(http)).toMatch(
      /^gatehouse: The issuer must use https \(plain http is only allowed with ALLOW_PRIVATE_NETWORK_FETCH=true/,
    );
    expect(expectOneLineError(codeUpdate)).toBe(
      'gatehouse: Provider "in-code" is declared in code and cannot be changed here.',
    );
    expect(codeList.map((p) => [p.alias, p.source])).toEqual([
      ['corp', 'database'],
      ['in-code', 'code'],
    ]);
  });
  it('creates from presets: Entra ID from its tenant, GitHub from its credentials alone', async () => {
    const [entra, github] = await runMany(
      [
        // No network in the test: the check of Microsoft's discovery is skipped.
        'provider create --preset entra --tenant contoso.onmicrosoft.com --alias entra --client-id e --client-secret s --no-check',
        'provider create --preset github --alias github --client-id g --client-secret s --json',
      ].map((line) => line.split(' ')),
      on,
    );
    expect(entra?.stdout).toMatch(
      /issuer: +https:\/\/login\.microsoftonline\.com\/contoso\.onmicrosoft\.com\/v2\.0\n/,
    );
    expect(entra?.stdout).toMatch(/verified by: +xms_edov\n/);
    expect(entra?.stdout).toMatch(/front-channel logout URI: +.*\/external\/entra\/frontchannel-logout\n/);
    expect(JSON.parse(github?.stdout ?? '')).toMatchObject({
      kind: 'oauth2',
      issuer: 'https://github.com',
      displayName: 'GitHub',
      options: {
        preset: 'github',
        tokenEndpointAuthMethod: 'client_secret_post',
        oauth2: {
          authorizationEndpoint: 'https://github.com/login/oauth/authorize',
          userinfoEndpoint: 'https://api.github.com/user',
          emailsEndpoint: 'https://api.github.com/user/emails',
        },
      },
    });
  });
});
