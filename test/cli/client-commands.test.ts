import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { discover } from '../support/relying-party.ts';
import { type CliOptions, cliJson, expectOneLineError, expectRefusals, runCli } from './run-cli.ts';

interface ClientJson {
  clientId: string;
  name: string | null;
  type: 'public' | 'confidential';
  authMethod: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  backchannelLogoutUri: string | null;
  grants: string[];
  scopes: string[];
  skipConsent: boolean;
  secret?: string;
  frontchannelLogoutUri: string | null;
  pkce: 'required' | 'optional';
  jwksUri: string | null;
  jwksKeys: number;
  idTokenSigningAlg: string;
  userinfoSigningAlg: string | null;
  allowedGroups: string[];
}

const APP = 'http://127.0.0.1:9';

describe('gatehouse client', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let on: CliOptions;

  beforeAll(async () => {
    db = await createTestDatabase();
    // A running server on the same database: what the command registers, it must accept.
    gh = await startGatehouse({ databaseUrl: db.url });
    on = { env: { DATABASE_URL: db.url } };
  });

  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  async function machineToken(clientId: string, secret: string): Promise<string> {
    const config = await discover(gh.issuer, clientId, secret);
    return (await oidc.clientCredentialsGrant(config)).access_token;
  }

  it('creates a client whose generated secret is printed once and works at the token endpoint', async () => {
    const created = await cliJson<ClientJson>(
      ['client', 'create', '--id', 'machine', '--name', 'Nightly job', '--grant', 'client_credentials'],
      on,
    );
    expect(created).toMatchObject({
      clientId: 'machine',
      name: 'Nightly job',
      type: 'confidential',
      authMethod: 'client_secret_basic',
      grants: ['client_credentials'],
      redirectUris: [],
    });
    const secret = created.secret ?? '';
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(await machineToken('machine', secret)).toBeTruthy();

    const shown = await runCli(['client', 'show', 'machine'], on);
    expect(shown.stdout).toMatch(/client_id: +machine\n/);
    expect(shown.stdout).not.toContain(secret);
    const listed = await runCli(['client', 'list', '--json'], on);
    // The built-in console client (created by the migrations) is listed beside it.
    const ids = (JSON.parse(listed.stdout) as ClientJson[]).map((client) => client.clientId).sort();
    expect(ids).toEqual(['gatehouse-console', 'machine']);
    expect(listed.stdout).not.toContain(secret);
  });

  it('rotates the secret: the new one works, the old one stops working', async () => {
    const before = await cliJson<ClientJson>(['client', 'show', 'machine'], on);
    expect(before.secret).toBeUndefined();
    const human = await runCli(['client', 'update', 'machine', '--rotate-secret'], on);
    expect(human.code, human.stderr).toBe(0);
    const secret = /client_secret: (\S+)\nStore this secret now: it is not shown again\./.exec(
      human.stdout,
    )?.[1];
    expect(secret).toBeTruthy();
    expect(await machineToken('machine', secret ?? '')).toBeTruthy();
    const rotated = await cliJson<ClientJson>(['client', 'update', 'machine', '--rotate-secret'], on);
    expect(rotated.secret).toBeTruthy();
    expect(rotated.secret).not.toBe(secret);
    // 401 invalid_client, as openid-client reports a WWW-Authenticate challenge.
    await expect(machineToken('machine', secret ?? '')).rejects.toMatchObject({ status: 401 });
  });

  it('registers, updates and deletes a web application with every option', async () => {
    const created = await cliJson<ClientJson>(
      [
        'client',
        'create',
        '--id',
        'webapp',
        '--name',
        'Web',
        '--secret',
        'a-secret-chosen-by-the-operator-0123',
      ]
        .concat([
          '--auth-method',
          'client_secret_post',
          '--redirect-uri',
          `${APP}/cb`,
          '--redirect-uri',
          `${APP}/cb2`,
        ])
        .concat(['--post-logout-redirect-uri', `${APP}/bye`, '--scope', 'openid', '--scope', 'email'])
        .concat(['--backchannel-logout-uri', 'https://app.example.com/logout', '--skip-consent']),
      on,
    );
    expect(created).toMatchObject({
      type: 'confidential',
      authMethod: 'client_secret_post',
      redirectUris: [`${APP}/cb`, `${APP}/cb2`],
      postLogoutRedirectUris: [`${APP}/bye`],
      backchannelLogoutUri: 'https://app.example.com/logout',
      grants: ['authorization_code', 'refresh_token'],
      scopes: ['openid', 'email'],
      skipConsent: true,
    });
    // The operator chose the secret, so there is nothing to show.
    expect(created.secret).toBeUndefined();

    const updated = await cliJson<ClientJson>(
      [
        'client',
        'update',
        'webapp',
        '--redirect-uri',
        `${APP}/new`,
        '--no-scope',
        '--no-skip-consent',
      ].concat(['--no-backchannel-logout-uri', '--no-post-logout-redirect-uri']),
      on,
    );
    expect(updated).toMatchObject({
      name: 'Web',
      authMethod: 'client_secret_post',
      redirectUris: [`${APP}/new`],
      postLogoutRedirectUris: [],
      backchannelLogoutUri: null,
      scopes: [],
      skipConsent: false,
    });
    expect(updated.secret).toBeUndefined();

    const deleted = await runCli(['client', 'delete', 'webapp'], on);
    expect(deleted.stdout).toContain('Deleted client webapp');
    expect(expectOneLineError(await runCli(['client', 'show', 'webapp'], on))).toBe(
      'gatehouse: No client with id "webapp".',
    );
  });

  const KEYED_SETTINGS = {
    authMethod: 'private_key_jwt',
    jwksKeys: 1,
    pkce: 'optional',
    idTokenSigningAlg: 'ES256',
    userinfoSigningAlg: 'ES256',
    frontchannelLogoutUri: `${APP}/fc`,
    accessTokenFormat: 'jwt',
    redirectUris: [`${APP}/cb`],
  };

  it('registers every protocol setting, and update --name keeps them and metadata it does not know', async () => {
    const { publicKey } = await generateKeyPair('ES256');
    const jwksFile = join(tmpdir(), `gatehouse-jwks-${process.pid}.json`);
    writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1' }] }));
    const created = await cliJson<ClientJson>(
      ['client', 'create', '--id', 'keyed', '--name', 'Keyed', '--redirect-uri', `${APP}/cb`]
        .concat(['--auth-method', 'private_key_jwt', '--jwks', jwksFile, '--pkce', 'optional'])
        .concat(['--id-token-signing-alg', 'ES256', '--userinfo-signing-alg', 'ES256'])
        .concat(['--frontchannel-logout-uri', `${APP}/fc`, '--access-token-format', 'jwt']),
      on,
    );
    expect(created).toMatchObject({ ...KEYED_SETTINGS, name: 'Keyed' });
    // Keys alone authenticate this client: there is no secret to print.
    expect(created.secret).toBeUndefined();
    // Metadata the command does not know (as a dynamically registered client may carry) survives too.
    await gh.gatehouse.db.raw(
      `UPDATE clients SET metadata = metadata || '{"client_uri": "https://keyed.example.com"}' WHERE client_id = 'keyed'`,
    );

    const renamed = await cliJson<ClientJson>(['client', 'update', 'keyed', '--name', 'Renamed'], on);
    expect(renamed).toMatchObject({ ...KEYED_SETTINGS, name: 'Renamed' });
    const row = await gh.gatehouse.db('clients').where({ client_id: 'keyed' }).first();
    expect(row.metadata.client_uri).toBe('https://keyed.example.com');
  });

  it('update --no-… removes just those settings', async () => {
    const cleared = await cliJson<ClientJson>(
      [
        'client',
        'update',
        'keyed',
        '--no-userinfo-signing-alg',
        '--no-frontchannel-logout-uri',
        '--pkce',
        'required',
        '--access-token-format',
        'opaque',
      ],
      on,
    );
    expect(cleared).toMatchObject({
      ...KEYED_SETTINGS,
      name: 'Renamed',
      userinfoSigningAlg: null,
      frontchannelLogoutUri: null,
      pkce: 'required',
      accessTokenFormat: 'opaque',
    });
  });

  it('limits an application to groups with --allowed-groups, and opens it again with --no-allowed-groups', async () => {
    const limited = await cliJson<ClientJson>(
      ['client', 'create', '--id', 'staff-only', '--redirect-uri', `${APP}/cb`].concat([
        '--allowed-groups',
        'staff, ops',
        '--allowed-groups',
        'admin',
      ]),
      on,
    );
    expect(limited.allowedGroups).toEqual(['staff', 'ops', 'admin']);
    const opened = await cliJson<ClientJson>(['client', 'update', 'staff-only', '--no-allowed-groups'], on);
    expect(opened.allowedGroups).toEqual([]);
    await gh.gatehouse.clients.delete('staff-only');
  });

  it('issues an initial access token for dynamic registration only when it is turned on', async () => {
    // Side by side: each child process takes seconds to start on a busy machine.
    const [issued, off] = await Promise.all([
      cliJson<{ initialAccessToken: string; registrationEndpoint: string; expiresIn: number }>(
        ['client', 'registration-token', '--expires-in', '600'],
        { env: { ...on.env, DYNAMIC_CLIENT_REGISTRATION: 'true', ISSUER: gh.issuer } },
      ),
      runCli(['client', 'registration-token'], on),
    ]);
    expect(issued).toMatchObject({ registrationEndpoint: `${gh.issuer}/reg`, expiresIn: 600 });
    expect(issued.initialAccessToken.length).toBeGreaterThanOrEqual(32);
    expect(expectOneLineError(off)).toMatch(/dynamic client registration is off/);
  });

  it('registers a public client, and makes it confidential with a generated secret on request', async () => {
    const spa = await cliJson<ClientJson>(
      ['client', 'create', '--id', 'spa', '--public', '--redirect-uri', `${APP}/cb`],
      on,
    );
    expect(spa).toMatchObject({ type: 'public', authMethod: 'none' });
    expect(spa.secret).toBeUndefined();
    const refused = await runCli(['client', 'update', 'spa', '--rotate-secret'], on);
    expect(expectOneLineError(refused)).toMatch(/client spa is public and has no secret to rotate/);
    const confidential = await cliJson<ClientJson>(
      ['client', 'update', 'spa', '--auth-method', 'client_secret_basic', '--grant', 'client_credentials']
        // A machine client takes no redirect URI (issue 14): the browser's one goes with the grant.
        .concat(['--no-redirect-uri']),
      on,
    );
    expect(confidential).toMatchObject({ type: 'confidential', redirectUris: [], builtIn: false });
    expect(await machineToken('spa', confidential.secret ?? '')).toBeTruthy();
  });

  it('refuses bad input with one line and a failure status', async () => {
    const cases: Array<[string[], RegExp, number]> = [
      [['client', 'create', '--redirect-uri', `${APP}/cb`], /required option '--id <id>' not specified/, 2],
      [['client', 'create', '--id', 'x', '--redirect-uri', 'not a url'], /Invalid client: redirect_uris/, 1],
      [
        ['client', 'create', '--id', 'x', '--public', '--secret', 's', '--redirect-uri', `${APP}/cb`],
        /option '--secret <secret>' cannot be used with option '--public'/,
        2,
      ],
      [
        ['client', 'create', '--id', 'machine', '--grant', 'client_credentials'],
        /A client with that id already exists/,
        1,
      ],
      [
        ['client', 'create', '--id', 'x', '--grant', 'implicit'],
        /--grant <grant>' argument 'implicit' is invalid/,
        2,
      ],
      [['client', 'create', '--id', 'x'], /--redirect-uri is required/, 2],
      [['client', 'create', '--id', 'bad id!', '--grant', 'client_credentials'], /client id may contain/, 1],
      [
        [
          'client',
          'create',
          '--id',
          'x',
          '--redirect-uri',
          `${APP}/cb`,
          '--backchannel-logout-uri',
          `${APP}/bcl`,
        ],
        /ALLOW_PRIVATE_NETWORK_FETCH/,
        1,
      ],
      [['client', 'create', '--id', 'x', '--auth-method', 'tls_client_auth'], /Allowed choices are/, 2],
      [
        ['client', 'create', '--id', 'x', '--redirect-uri', `${APP}/cb`, '--auth-method', 'private_key_jwt'],
        /Invalid client: jwks or jwks_uri is mandatory/,
        1,
      ],
      [
        ['client', 'create', '--id', 'x', '--public', '--redirect-uri', `${APP}/cb`, '--pkce', 'optional'],
        /A public client always uses PKCE/,
        1,
      ],
      [
        ['client', 'create', '--id', 'x', '--redirect-uri', `${APP}/cb`, '--jwks', '/nonexistent'],
        /--jwks: cannot read/,
        2,
      ],
      [
        ['client', 'create', '--id', 'x', '--id-token-signing-alg', 'none'],
        /Allowed choices are RS256, ES256/,
        2,
      ],
      [['client', 'show', 'nope'], /No client with id "nope"/, 1],
      [['client', 'update', 'nope', '--name', 'N'], /No client with id "nope"/, 1],
      [['client', 'delete', 'nope'], /No client with id "nope"/, 1],
      [['client', 'update', 'machine'], /nothing to change/, 2],
      // Issue 14: a wildcard is compared literally by oidc-provider, so it is refused, not stored.
      [
        ['client', 'create', '--id', 'x', '--redirect-uri', 'https://*.example.com/cb'],
        /^gatehouse: "https:\/\/\*\.example\.com\/cb" has a wildcard: redirect URIs are compared exactly, so register each one in full\.$/,
        1,
      ],
      [
        ['client', 'create', '--id', 'x', '--grant', 'client_credentials', '--redirect-uri', `${APP}/cb`],
        /^gatehouse: A client with only the client_credentials grant signs no one in through a browser, so it takes no redirect URI/,
        1,
      ],
      [['client', 'update', 'machine', '--redirect-uri', `${APP}/cb`], /takes no redirect URI/, 1],
      [
        ['client', 'create', '--id', 'x', '--redirect-uri', `${APP}/cb`, '--allowed-groups', 'ok,bad group!'],
        /^gatehouse: "bad group!" is not a valid group name: letters, digits/,
        1,
      ],
      [
        ['client', 'create', '--idd', 'x', '--redirect-uri', `${APP}/cb`],
        /^gatehouse: unknown option '--idd' \(Did you mean --id\?\)$/,
        2,
      ],
    ];
    await expectRefusals(cases, on);
    expect((await cliJson<ClientJson[]>(['client', 'list'], on)).map((c) => c.clientId)).toEqual([
      'gatehouse-console',
      'keyed',
      'machine',
      'spa',
    ]);
  }, 480_000);
});
