import { generateKeyPairSync } from 'node:crypto';
import { Command } from 'commander';
import { exportJWK, generateKeyPair } from 'jose';
import { parse } from 'node-html-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientOptions, clientView } from '../../src/cli/client-flags.ts';
import { registerProviderCommands } from '../../src/cli/provider-commands.ts';
import { providerView } from '../../src/cli/provider-flags.ts';
import { ADMIN, type AdminCaller, sessionCaller } from '../fixtures/admin-http.ts';
import { type Browser, textOf } from '../support/browser.ts';
import { consoleSignIn } from '../support/console.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { fieldsOf, submitAsShown } from '../support/html-form.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

/** The console's name of a CLI flag where they differ (a list flag is repeated, its field plural). */
const CLIENT_FIELD_OF: Record<string, string> = {
  public: 'type',
  redirectUri: 'redirectUris',
  postLogoutRedirectUri: 'postLogoutRedirectUris',
  grant: 'grants',
  scope: 'scopes',
  // Buttons of the form rather than fields.
  rotateSecret: 'action',
};

function flagNames(command: Command): string[] {
  return command.options
    .filter((o) => !o.negate && o.attributeName() !== 'json')
    .map((o) => o.attributeName());
}

describe('the console edits every option the CLI has', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let browser: Browser;
  let api: AdminCaller;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    await gh.gatehouse.userManager.createUser({ ...ADMIN, groups: ['admin'] });
    ({ browser } = await consoleSignIn(gh, ADMIN, '/admin/applications'));
    api = await sessionCaller(gh, ADMIN);
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  const formSelector = 'form.panel';

  it('has a field for each flag of `gatehouse client create` and `client update`', async () => {
    const page = await browser.visit(`${gh.issuer}/admin/applications/new`);
    const fields = new Set(
      parse(page.body)
        .querySelectorAll(`${formSelector} [name]`)
        .map((el) => el.getAttribute('name')),
    );
    for (const mode of ['create', 'update'] as const) {
      for (const flag of flagNames(clientOptions(new Command(), mode))) {
        expect(fields, `--${flag} (${mode})`).toContain(CLIENT_FIELD_OF[flag] ?? flag);
      }
    }
  });

  it('registers a private_key_jwt client with every protocol setting, warns about optional PKCE, and keeps them all on save', async () => {
    const { publicKey } = await generateKeyPair('ES256');
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'rp-1', alg: 'ES256', use: 'sig' }] };
    const blank = await browser.visit(`${gh.issuer}/admin/applications/new`);
    expect(blank.body).not.toContain('id="pkce-warning"');
    const created = await submitAsShown(
      browser,
      blank,
      formSelector,
      {
        clientId: 'erp',
        name: 'ERP',
        authMethod: 'private_key_jwt',
        pkce: 'optional',
        grants: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
        redirectUris: 'https://erp.example/cb',
        postLogoutRedirectUris: 'https://erp.example/bye',
        frontchannelLogoutUri: 'https://erp.example/fc-logout',
        backchannelLogoutUri: 'https://erp.example/bc-logout',
        jwks: JSON.stringify(jwks),
        idTokenSigningAlg: 'RS256',
        userinfoSigningAlg: 'ES256',
        accessTokenFormat: 'jwt',
        scopes: 'openid, email',
      },
      ['action', 'save'],
    );
    expect(created.status, textOf(created).slice(0, 600)).toBe(201);
    const expected = {
      clientId: 'erp',
      type: 'confidential',
      authMethod: 'private_key_jwt',
      pkce: 'optional',
      grants: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
      redirectUris: ['https://erp.example/cb'],
      postLogoutRedirectUris: ['https://erp.example/bye'],
      frontchannelLogoutUri: 'https://erp.example/fc-logout',
      backchannelLogoutUri: 'https://erp.example/bc-logout',
      jwksKeys: 1,
      idTokenSigningAlg: 'RS256',
      userinfoSigningAlg: 'ES256',
      accessTokenFormat: 'jwt',
      scopes: ['openid', 'email'],
    };
    expect(clientView(await gh.gatehouse.clients.require('erp'))).toMatchObject(expected);

    // The page says PKCE is optional, plainly, and shows the settings back.
    const shown = await browser.visit(`${gh.issuer}/admin/applications/erp`);
    expect(parse(shown.body).querySelector('#pkce-warning')?.textContent).toContain('PKCE is optional');
    const values = new Map(fieldsOf(shown, formSelector));
    expect(values.get('pkce')).toBe('optional');
    expect(values.get('userinfoSigningAlg')).toBe('ES256');
    expect(JSON.parse(values.get('jwks') ?? '{}')).toEqual(jwks);

    // Saving the form as shown with only the name changed keeps every other setting.
    const saved = await submitAsShown(browser, shown, formSelector, { name: 'ERP 2' }, ['action', 'save']);
    expect(saved.status, textOf(saved).slice(0, 600)).toBe(303);
    expect(clientView(await gh.gatehouse.clients.require('erp'))).toMatchObject({
      ...expected,
      name: 'ERP 2',
    });

    // Back to required PKCE, plain userinfo, no front-channel page; the warning goes.
    const again = await browser.visit(`${gh.issuer}/admin/applications/erp`);
    await submitAsShown(
      browser,
      again,
      formSelector,
      { pkce: 'required', userinfoSigningAlg: '', frontchannelLogoutUri: '' },
      ['action', 'save'],
    );
    expect(clientView(await gh.gatehouse.clients.require('erp'))).toMatchObject({
      pkce: 'required',
      userinfoSigningAlg: null,
      frontchannelLogoutUri: null,
      jwksKeys: 1,
    });
    expect((await browser.visit(`${gh.issuer}/admin/applications/erp`)).body).not.toContain('pkce-warning');
  });

  it('registers client_secret_jwt with a chosen secret and a JWKS URI client, and refuses bad keys', async () => {
    const blank = await browser.visit(`${gh.issuer}/admin/applications/new`);
    const jwt = await submitAsShown(
      browser,
      blank,
      formSelector,
      {
        clientId: 'mod-auth',
        authMethod: 'client_secret_jwt',
        secret: 'a chosen secret of 32 characters',
        grants: ['authorization_code'],
        redirectUris: 'https://mod.example/cb',
      },
      ['action', 'save'],
    );
    expect(jwt.status, textOf(jwt).slice(0, 600)).toBe(201);
    expect(jwt.body).not.toContain('id="client-secret"');
    expect(clientView(await gh.gatehouse.clients.require('mod-auth')).authMethod).toBe('client_secret_jwt');

    const bad = await submitAsShown(
      browser,
      blank,
      formSelector,
      {
        clientId: 'keyed',
        authMethod: 'private_key_jwt',
        jwks: 'not json',
        redirectUris: 'https://k.example/cb',
      },
      ['action', 'save'],
    );
    expect(bad.status).toBe(400);
    expect(textOf(bad)).toContain('The public keys must be a JWKS');
  });

  it('creates a user with a verified address (--email-verified) and switches a local password on (--allow-local-password)', async () => {
    const blank = await browser.visit(`${gh.issuer}/admin/users/new`);
    const created = await submitAsShown(browser, blank, 'form.panel', {
      email: 'vera@example.com',
      how: 'password',
      password: 'a verified passphrase',
      emailVerified: 'on',
    });
    expect(created.status, textOf(created).slice(0, 600)).toBeLessThan(400);
    const vera = await gh.gatehouse.userManager.findByEmail('vera@example.com');
    expect(vera).toMatchObject({ emailVerified: true, localPasswordAllowed: false });

    const page = await browser.visit(`${gh.issuer}/admin/users/${vera?.id}`);
    const profile = `form[action="/admin/users/${vera?.id}/edit"]`;
    expect(new Map(fieldsOf(page, profile)).get('emailVerified')).toBe('on');
    await submitAsShown(browser, page, profile, { localPasswordAllowed: 'on' });
    expect(await gh.gatehouse.userManager.findByEmail('vera@example.com')).toMatchObject({
      emailVerified: true,
      localPasswordAllowed: true,
    });
  });

  it('the admin API takes and answers the CLI’s field names', async () => {
    const created = await api.call('POST', '/clients', {
      clientId: 'api-app',
      redirectUris: ['https://api-app.example/cb'],
      idTokenSigningAlg: 'RS256',
      userinfoSigningAlg: 'ES256',
      pkce: 'optional',
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json).toMatchObject({
      idTokenSigningAlg: 'RS256',
      userinfoSigningAlg: 'ES256',
      pkce: 'optional',
    });
    const changed = await api.call('PATCH', '/clients/api-app', { userinfoSigningAlg: null });
    expect(changed.json).toMatchObject({ idTokenSigningAlg: 'RS256', userinfoSigningAlg: null });
    const view = clientView(await gh.gatehouse.clients.require('api-app'));
    const { createdAt: _c, updatedAt: _u, ...fields } = view;
    expect(Object.keys(changed.json)).toEqual(expect.arrayContaining(Object.keys(fields)));
  });
});

/** The console's name of a `provider` flag where they differ. */
const PROVIDER_FIELD_OF: Record<string, string> = {
  scope: 'scopes',
  defaultGroup: 'defaultUserGroups',
  allowedEmailDomain: 'allowedEmailDomains',
  manualLinking: 'allowManualLinking',
  // --auto-link is the shorthand of --link-mode link-and-create.
  autoLink: 'linkMode',
  protectedGroup: 'protectedGroups',
  mapGroup: 'groupMappings',
  clientPrivateKeyFile: 'clientPrivateKey',
};

describe('the console edits every option of `gatehouse provider`', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let browser: Browser;
  const formSelector = 'form.panel';

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    await gh.gatehouse.userManager.createUser({ ...ADMIN, groups: ['admin'] });
    ({ browser } = await consoleSignIn(gh, ADMIN, '/admin/providers'));
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  const stored = async (alias: string) =>
    providerView(await gh.gatehouse.external.registry.require(alias), gh.issuer);

  it('has a field for each flag of `provider create` and `provider update`', async () => {
    const page = await browser.visit(`${gh.issuer}/admin/providers/new`);
    const fields = new Set(
      parse(page.body)
        .querySelectorAll(`${formSelector} [name]`)
        .map((el) => el.getAttribute('name')),
    );
    const program = new Command();
    registerProviderCommands(program, { stdout: process.stdout, stderr: process.stderr, env: {} } as never);
    const provider = program.commands.find((c) => c.name() === 'provider');
    for (const name of ['create', 'update']) {
      const command = provider?.commands.find((c) => c.name() === name);
      expect(command).toBeDefined();
      for (const flag of flagNames(command as Command)) {
        expect(fields, `--${flag} (${name})`).toContain(PROVIDER_FIELD_OF[flag] ?? flag);
      }
    }
  });

  it('adds an Entra ID provider from its preset with matching, protection and group mappings, and keeps them on save', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const blank = await browser.visit(`${gh.issuer}/admin/providers/new`);
    const created = await submitAsShown(
      browser,
      blank,
      formSelector,
      {
        alias: 'entra',
        preset: 'entra',
        tenant: 'contoso.example',
        clientId: 'entra-app',
        clientPrivateKey: pem,
        tokenEndpointAuthMethod: 'private_key_jwt',
        linkMode: 'link-only',
        matchClaim: 'upn',
        protectedGroups: 'admin, finance',
        allowedEmailDomains: 'contoso.example',
        groupMappings: 'groups=8d2a-staff:staff\nroles~^app-(admin|ops)$:operators',
        groupOverage: 'graph',
        linkSilently: 'on',
        denyLocalLogin: 'on',
      },
      ['action', 'save'],
    );
    expect(created.status, textOf(created).slice(0, 600)).toBe(303);
    const expected = {
      kind: 'oidc',
      displayName: 'Microsoft Entra ID',
      issuer: 'https://login.microsoftonline.com/contoso.example/v2.0',
      hasPrivateKey: true,
      scopes: ['openid', 'profile', 'email', 'offline_access'],
      options: {
        preset: 'entra',
        tokenEndpointAuthMethod: 'private_key_jwt',
        denyLocalLogin: true,
        groupOverage: 'graph',
        groupMappings: [
          { claim: 'groups', value: '8d2a-staff', group: 'staff' },
          { claim: 'roles', pattern: '^app-(admin|ops)$', group: 'operators' },
        ],
        autoLink: {
          mode: 'link-only',
          matchClaim: 'upn',
          emailVerifiedClaim: 'xms_edov',
          protectedGroups: ['admin', 'finance'],
          allowedEmailDomains: ['contoso.example'],
          linkSilently: true,
          requireVerifiedEmail: true,
        },
      },
    };
    expect(await stored('entra')).toMatchObject(expected);

    const shown = await browser.visit(`${gh.issuer}/admin/providers/entra`);
    expect(textOf(shown)).toContain(`${gh.issuer}/external/entra/frontchannel-logout`);
    const saved = await submitAsShown(browser, shown, formSelector, { displayName: 'Contoso' }, [
      'action',
      'save',
    ]);
    expect(saved.status, textOf(saved).slice(0, 600)).toBe(303);
    expect(await stored('entra')).toMatchObject({ ...expected, displayName: 'Contoso' });

    const again = await browser.visit(`${gh.issuer}/admin/providers/entra`);
    await submitAsShown(
      browser,
      again,
      formSelector,
      { tokenEndpointAuthMethod: 'auto', groupMappings: '', protectedGroups: 'admin', linkSilently: null },
      ['action', 'save'],
    );
    const after = await stored('entra');
    expect(after.options.tokenEndpointAuthMethod).toBeUndefined();
    expect(after.options.groupMappings).toEqual([]);
    expect(after.options.autoLink).toMatchObject({ protectedGroups: ['admin'], linkSilently: false });
    expect(after.hasPrivateKey).toBe(true);
  });

  it('adds GitHub from its preset (plain OAuth2) and refuses a group mapping it cannot read', async () => {
    const blank = await browser.visit(`${gh.issuer}/admin/providers/new`);
    const bad = await submitAsShown(
      browser,
      blank,
      formSelector,
      {
        alias: 'gh',
        preset: 'github',
        clientId: 'gh-app',
        clientSecret: 'gh-secret',
        groupMappings: 'nonsense',
      },
      ['action', 'save'],
    );
    expect(bad.status).toBe(400);
    expect(textOf(bad)).toContain('claim=value:group');
    expect(bad.body).not.toContain('gh-secret');
    const created = await submitAsShown(
      browser,
      blank,
      formSelector,
      { alias: 'gh', preset: 'github', clientId: 'gh-app', clientSecret: 'gh-secret', subjectClaim: 'login' },
      ['action', 'save'],
    );
    expect(created.status, textOf(created).slice(0, 600)).toBe(303);
    expect(await stored('gh')).toMatchObject({
      kind: 'oauth2',
      issuer: 'https://github.com',
      options: {
        tokenEndpointAuthMethod: 'client_secret_post',
        oauth2: {
          authorizationEndpoint: 'https://github.com/login/oauth/authorize',
          userinfoEndpoint: 'https://api.github.com/user',
          subjectClaim: 'login',
        },
      },
    });
  });
});
