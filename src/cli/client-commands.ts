import { type Command, Option } from 'commander';
import { clientJson } from '../api/admin/admin-json.ts';
import type { Gatehouse } from '../container.ts';
import type { CreatedClient } from '../oidc/client-service.ts';
import { INITIAL_ACCESS_TOKEN_TTL, issueInitialAccessToken } from '../oidc/registration.ts';
import { auditCli } from './audit.ts';
import {
  type ClientFlags,
  type ClientView,
  clientOptions,
  clientView,
  toClientChanges,
  toClientInput,
} from './client-flags.ts';
import { required } from './errors.ts';
import { fields, type OutputOptions, print, table, when } from './output.ts';
import { jwksArg, seconds, secretArg } from './parsing.ts';
import { type Env, UsageError, withGatehouse } from './runtime.ts';

export function registerClientCommands(program: Command, env: Env): void {
  const client = program.command('client').description('manage the applications that sign users in');

  clientOptions(
    client
      .command('create')
      .description('register an application; a generated secret is printed once')
      .addOption(required(new Option('--id <id>', 'client_id'))),
    'create',
  ).action(async (flags: ClientFlags & { id: string }) => {
    const secret = await secretArg(flags.secret);
    const jwks = await jwksArg(flags.jwks);
    await withGatehouse(env, (g) => createClient(g, { ...flags, secret, jwks }));
  });

  client
    .command('list')
    .description('list applications')
    .addOption(new Option('--json', 'print machine-readable JSON'))
    .action((flags: OutputOptions) => withGatehouse(env, (g) => listClients(g, flags)));

  client
    .command('show <id>')
    .description('show one application (never its secret)')
    .addOption(new Option('--json', 'print machine-readable JSON'))
    .action((id: string, flags: OutputOptions) =>
      withGatehouse(env, async (g) => {
        const client = await g.clients.require(id);
        print(flags, clientJson(client), () => clientFields(clientView(client)));
      }),
    );

  clientOptions(
    client.command('update <id>').description('change an application; a list option replaces that list'),
    'update',
  ).action(async (id: string, flags: ClientFlags) => {
    const secret = await secretArg(flags.secret);
    const jwks = await jwksArg(flags.jwks);
    await withGatehouse(env, (g) => updateClient(g, id, { ...flags, secret, jwks }));
  });

  client
    .command('registration-token')
    .description('issue an initial access token with which one application registers itself (RFC 7591)')
    .option('--expires-in <seconds>', `how long it is valid (default ${INITIAL_ACCESS_TOKEN_TTL})`, seconds)
    .addOption(new Option('--json', 'print machine-readable JSON'))
    .action((flags: OutputOptions & { expiresIn?: number }) =>
      withGatehouse(env, (g) => registrationToken(g, flags)),
    );

  client
    .command('delete <id>')
    .description('delete an application and every token issued to it')
    .addOption(new Option('--json', 'print machine-readable JSON'))
    .action((id: string, flags: OutputOptions) =>
      withGatehouse(env, async (g) => {
        const before = clientJson(await g.clients.require(id));
        await g.clients.delete(id);
        await auditCli(g, { action: 'client.delete', target: { type: 'client', id }, before });
        print(flags, { deleted: id }, () => `Deleted client ${id} and every token issued to it.`);
      }),
    );
}

async function createClient(g: Gatehouse, flags: ClientFlags & { id: string }): Promise<void> {
  const created = await g.clients.create(toClientInput(flags));
  await auditCli(g, {
    action: 'client.create',
    target: { type: 'client', id: created.client.clientId },
    after: clientJson(created.client),
  });
  printWithSecret(flags, `Created client ${created.client.clientId}.`, created);
}

async function updateClient(g: Gatehouse, id: string, flags: ClientFlags): Promise<void> {
  const changes = toClientChanges(flags);
  if (changes.rotateSecret && changes.public === undefined) {
    const current = clientView(await g.clients.require(id));
    if (current.type === 'public') {
      throw new UsageError(
        `client ${id} is public and has no secret to rotate; give --auth-method to make it confidential`,
      );
    }
  }
  const before = clientJson(await g.clients.require(id));
  const updated = await g.clients.update(id, changes);
  await auditCli(g, {
    action: 'client.update',
    target: { type: 'client', id },
    before,
    after: { ...clientJson(updated.client), ...(updated.secret ? { secret: 'rotated' } : {}) },
  });
  printWithSecret(flags, `Updated client ${id}.`, updated);
}

/** The token is printed once: no command shows it again. */
async function registrationToken(g: Gatehouse, flags: OutputOptions & { expiresIn?: number }): Promise<void> {
  if (!g.settings.dynamicClientRegistration) {
    throw new UsageError('dynamic client registration is off; set DYNAMIC_CLIENT_REGISTRATION=true first');
  }
  const expiresIn = flags.expiresIn ?? INITIAL_ACCESS_TOKEN_TTL;
  const token = await issueInitialAccessToken(g.host.provider, expiresIn);
  const registrationEndpoint = `${g.settings.issuer}/reg`;
  print(flags, { initialAccessToken: token, expiresIn, registrationEndpoint }, () =>
    [
      `initial_access_token: ${token}`,
      `registration_endpoint: ${registrationEndpoint}`,
      `Valid for ${expiresIn} s, for any number of registrations; store it now: it is not shown again.`,
    ].join('\n'),
  );
}

async function listClients(g: Gatehouse, flags: OutputOptions): Promise<void> {
  const stored = await g.clients.list();
  const clients = stored.map(clientView);
  print(
    flags,
    stored.map(clientJson),
    () =>
      table(
        ['CLIENT ID', 'NAME', 'TYPE', 'GRANTS', 'REDIRECT URIS'],
        clients.map((c) => [c.clientId, c.name ?? '', c.type, c.grants.join(','), c.redirectUris.join(' ')]),
      ) || 'No clients.',
  );
}

/** A generated secret is printed here, once: the database keeps it encrypted and nothing shows it again. */
function printWithSecret(flags: OutputOptions, headline: string, { client, secret }: CreatedClient): void {
  const view = clientView(client);
  const json = clientJson(client);
  print(flags, secret ? { ...json, secret } : json, () =>
    [
      headline,
      clientFields(view),
      ...(secret ? ['', `client_secret: ${secret}`, 'Store this secret now: it is not shown again.'] : []),
    ].join('\n'),
  );
}

function clientFields(c: ClientView): string {
  return fields([
    ['client_id', c.clientId],
    ['name', c.name ?? '-'],
    ['type', c.type === 'public' ? 'public (no secret, PKCE)' : `confidential (${c.authMethod})`],
    ['grants', c.grants],
    ['redirect URIs', c.redirectUris],
    ['post-logout URIs', c.postLogoutRedirectUris],
    ['back-channel logout', c.backchannelLogoutUri ?? '-'],
    ['front-channel logout', c.frontchannelLogoutUri ?? '-'],
    ['scopes', c.scopes.length ? c.scopes.join(' ') : 'all'],
    ['skip consent', c.skipConsent ? 'yes' : 'no'],
    ['PKCE', c.pkce],
    ['public keys', c.jwksUri ?? (c.jwksKeys ? `${c.jwksKeys} registered` : '-')],
    ['ID token alg', c.idTokenSigningAlg],
    ['userinfo alg', c.userinfoSigningAlg ?? 'none (JSON)'],
    ['access tokens', c.accessTokenFormat === 'jwt' ? 'jwt (RFC 9068, not revocable)' : 'opaque'],
    ['created', when(c.createdAt)],
    ['updated', when(c.updatedAt)],
  ]);
}
