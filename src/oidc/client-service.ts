import type Provider from 'oidc-provider';
import type { ClientMetadata } from 'oidc-provider';
import { randomToken } from '../crypto/secret-box.ts';
import type { Database } from '../db/database.ts';
import { AppError } from '../errors/app-error.ts';
import type { ClientStore, StoredClient } from './client-store.ts';
import { isBuiltInClient } from './console-client.ts';
import { pointsToPrivateNetwork } from './private-network-guard.ts';

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];
export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

export interface ClientInput {
  clientId: string;
  name?: string | undefined;
  /** A confidential client's secret; generated when omitted. Ignored for public clients. */
  secret?: string | undefined;
  public: boolean;
  authMethod?: AuthMethod | undefined;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  backchannelLogoutUri?: string | undefined;
  grants: GrantType[];
  scopes: string[];
  skipConsent: boolean;
}

export type ClientChanges = Partial<Omit<ClientInput, 'clientId'>> & { rotateSecret?: boolean };

export interface CreatedClient {
  client: StoredClient;
  /** The plaintext secret, returned only here, once. */
  secret: string | undefined;
}

/** The rules for registering applications; `gatehouse client …` and the admin API call this. */
export class ClientService {
  private readonly db: Database;
  private readonly store: ClientStore;
  private readonly provider: () => Provider;
  private readonly allowPrivateNetwork: boolean;

  constructor(db: Database, store: ClientStore, provider: () => Provider, allowPrivateNetwork: boolean) {
    this.db = db;
    this.store = store;
    this.provider = provider;
    this.allowPrivateNetwork = allowPrivateNetwork;
  }

  async create(input: ClientInput): Promise<CreatedClient> {
    if (await this.store.find(input.clientId)) throw new AppError('client_exists');
    const secret = input.public ? undefined : (input.secret ?? randomToken(32));
    const metadata = await this.validated(input, secret);
    await this.store.insert({ metadata, secret, skipConsent: input.skipConsent });
    return { client: await this.require(input.clientId), secret: input.secret ? undefined : secret };
  }

  async update(clientId: string, changes: ClientChanges): Promise<CreatedClient> {
    refuseBuiltIn(clientId);
    const current = await this.require(clientId);
    const merged: ClientInput = { ...toInput(current), ...definedOnly(changes), clientId };
    if (merged.public && (changes.rotateSecret || changes.secret)) {
      throw new AppError('invalid_input', 'A public client has no secret to set or rotate.');
    }
    const stored = (await this.store.findMetadata(clientId))?.client_secret as string | undefined;
    // A new secret when asked for, or when a public client becomes confidential.
    const fresh =
      changes.rotateSecret || (!merged.public && !stored && !changes.secret) ? randomToken(32) : undefined;
    const secret = merged.public ? undefined : (changes.secret ?? fresh ?? stored);
    const metadata = await this.validated(merged, secret);
    await this.store.update(clientId, {
      metadata,
      secret: merged.public ? null : secret,
      skipConsent: merged.skipConsent,
    });
    return { client: await this.require(clientId), secret: fresh };
  }

  list(): Promise<StoredClient[]> {
    return this.store.list();
  }

  async require(clientId: string): Promise<StoredClient> {
    const client = await this.store.find(clientId);
    if (!client) throw new AppError('not_found', `No client with id "${clientId}".`);
    return client;
  }

  /** Removes the client and everything issued to it: its tokens, codes and grants stop working at once. */
  async delete(clientId: string): Promise<void> {
    refuseBuiltIn(clientId);
    await this.db.transaction(async (trx) => {
      const deleted = await trx('clients').where({ client_id: clientId }).delete();
      if (!deleted) throw new AppError('not_found', `No client with id "${clientId}".`);
      await trx('oidc_payloads').whereRaw("payload->>'clientId' = ?", [clientId]).delete();
    });
    await this.store.changed(clientId);
  }

  private async validated(input: ClientInput, secret: string | undefined): Promise<ClientMetadata> {
    if (!/^[\w.:-]{1,255}$/.test(input.clientId)) {
      throw new AppError(
        'invalid_input',
        'The client id may contain letters, digits and . _ : - only (at most 255).',
      );
    }
    if (
      input.backchannelLogoutUri &&
      !this.allowPrivateNetwork &&
      (await pointsToPrivateNetwork(input.backchannelLogoutUri))
    ) {
      throw new AppError(
        'invalid_input',
        'The back-channel logout URI points to a loopback or private address; set ALLOW_PRIVATE_NETWORK_FETCH=true to allow it (development only).',
      );
    }
    const metadata = toMetadata(input, secret);
    try {
      // oidc-provider's own schema check: the same rules it applies when the client is used.
      await this.provider().Client.validate(metadata);
    } catch (error) {
      const e = error as { error_description?: string; message?: string };
      throw new AppError(
        'invalid_input',
        `Invalid client: ${e.error_description ?? e.message ?? 'rejected'}.`,
      );
    }
    return metadata;
  }
}

function toMetadata(input: ClientInput, secret: string | undefined): ClientMetadata {
  const usesCode = input.grants.includes('authorization_code');
  return {
    client_id: input.clientId,
    ...(input.name ? { client_name: input.name } : {}),
    ...(secret ? { client_secret: secret } : {}),
    token_endpoint_auth_method: input.public ? 'none' : (input.authMethod ?? 'client_secret_basic'),
    grant_types: input.grants,
    response_types: usesCode ? ['code'] : [],
    redirect_uris: input.redirectUris,
    post_logout_redirect_uris: input.postLogoutRedirectUris,
    ...(input.backchannelLogoutUri
      ? { backchannel_logout_uri: input.backchannelLogoutUri, backchannel_logout_session_required: true }
      : {}),
    ...(input.scopes.length ? { scope: input.scopes.join(' ') } : {}),
    skip_consent: input.skipConsent,
  };
}

function toInput(client: StoredClient): ClientInput {
  const m = client.metadata;
  return {
    clientId: client.clientId,
    name: m.client_name as string | undefined,
    public: m.token_endpoint_auth_method === 'none',
    authMethod:
      m.token_endpoint_auth_method === 'client_secret_post' ? 'client_secret_post' : 'client_secret_basic',
    redirectUris: (m.redirect_uris as string[] | undefined) ?? [],
    postLogoutRedirectUris: (m.post_logout_redirect_uris as string[] | undefined) ?? [],
    backchannelLogoutUri: m.backchannel_logout_uri as string | undefined,
    grants: ((m.grant_types as GrantType[] | undefined) ?? []).filter((g) => GRANT_TYPES.includes(g)),
    scopes: typeof m.scope === 'string' ? m.scope.split(' ') : [],
    skipConsent: client.skipConsent,
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The console client is Gatehouse's own sign-in; changing it would lock administrators out. */
function refuseBuiltIn(clientId: string): void {
  if (isBuiltInClient(clientId)) {
    throw new AppError(
      'conflict',
      `"${clientId}" is Gatehouse's built-in client; it cannot be changed or deleted.`,
    );
  }
}
