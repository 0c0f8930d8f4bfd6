import type Provider from 'oidc-provider';
import type { ClientMetadata } from 'oidc-provider';
import { randomToken } from '../crypto/secret-box.ts';
import type { Database } from '../db/database.ts';
import { AppError } from '../errors/app-error.ts';
import { groupsProblem } from '../users/user-fields.ts';
import { allowedGroupsOf } from './application-access.ts';
import {
  applyPatch,
  type ClientChanges,
  type ClientInput,
  isPublic,
  metadataPatch,
  needsSecret,
} from './client-settings.ts';
import type { ClientStore, StoredClient } from './client-store.ts';
import { isBuiltInClient } from './console-client.ts';
import { OidcPayloadStore } from './payload-store.ts';
import { pointsToPrivateNetwork } from './private-network-guard.ts';
import { redirectUrisProblem } from './redirect-uris.ts';
import { ADMIN_SCOPE } from './scopes.ts';

export {
  AUTH_METHODS,
  type AuthMethod,
  type ClientChanges,
  type ClientInput,
  GRANT_TYPES,
  type GrantType,
} from './client-settings.ts';

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
    if (input.public && input.secret) throw AppError.keyed('invalid_input', 'client.publicNoSecret');
    const patch = metadataPatch(input, {});
    const draft = applyPatch(
      { client_id: input.clientId, token_endpoint_auth_method: 'client_secret_basic' },
      patch,
    );
    const generated = !input.secret && needsSecret(draft) ? randomToken(32) : undefined;
    const secret = input.public ? undefined : (input.secret ?? generated);
    const metadata = await this.validated(draft, secret, {});
    await this.store.insert({ metadata, secret, skipConsent: input.skipConsent });
    return { client: await this.require(input.clientId), secret: generated };
  }

  /** Changes only what `changes` names; every other registered setting, known to us or not, stays. */
  async update(clientId: string, changes: ClientChanges): Promise<CreatedClient> {
    refuseBuiltIn(clientId);
    const current = await this.store.findMetadata(clientId);
    if (!current) throw AppError.keyed('not_found', 'client.notFound', { clientId });
    const { client_secret: stored, ...registered } = current;
    const metadata = applyPatch(registered, metadataPatch(changes, registered));
    if (isPublic(metadata) && (changes.rotateSecret || changes.secret)) {
      throw AppError.keyed('invalid_input', 'client.publicNoRotate');
    }
    // A new secret when asked for, or when the client now needs one it does not have.
    const fresh =
      changes.rotateSecret || (needsSecret(metadata) && !stored && !changes.secret)
        ? randomToken(32)
        : undefined;
    const secret = isPublic(metadata) ? undefined : (changes.secret ?? fresh ?? stored);
    await this.validated(metadata, secret, registered);
    await this.store.update(clientId, {
      metadata,
      secret: isPublic(metadata) ? null : secret,
      skipConsent: metadata.skip_consent === true,
    });
    return { client: await this.require(clientId), secret: fresh };
  }

  list(): Promise<StoredClient[]> {
    return this.store.list();
  }

  async require(clientId: string): Promise<StoredClient> {
    const client = await this.store.find(clientId);
    if (!client) throw AppError.keyed('not_found', 'client.notFound', { clientId });
    return client;
  }

  /** Removes the client and everything issued to it: its tokens, codes and grants stop working at once. */
  async delete(clientId: string): Promise<void> {
    refuseBuiltIn(clientId);
    await this.db.transaction(async (trx) => {
      if (!(await this.store.withTransaction(trx).delete(clientId))) {
        throw AppError.keyed('not_found', 'client.notFound', { clientId });
      }
      await new OidcPayloadStore(trx).deleteIssuedToClient(clientId);
    });
    await this.store.changed(clientId);
  }

  private async validated(
    metadata: ClientMetadata,
    secret: string | undefined,
    before: Partial<ClientMetadata>,
  ): Promise<ClientMetadata> {
    if (!/^[\w.:-]{1,255}$/.test(metadata.client_id)) {
      throw AppError.keyed('invalid_input', 'client.idChars');
    }
    if (isPublic(metadata) && metadata.require_pkce === false) {
      throw AppError.keyed('invalid_input', 'client.publicPkce');
    }
    refuseMachineRightsForPublicClients(metadata);
    const problem = redirectUrisProblem(metadata) ?? groupsProblem(allowedGroupsOf(metadata));
    if (problem) throw AppError.worded('invalid_input', problem);
    await this.refusePrivateFetches(metadata, before);
    try {
      // oidc-provider's own schema check: the same rules it applies when the client is used.
      await this.provider().Client.validate({ ...metadata, ...(secret ? { client_secret: secret } : {}) });
    } catch (error) {
      const e = error as { error_description?: string; message?: string };
      // oidc-provider's own reason stays English inside the translated sentence.
      const reason = e.error_description ?? e.message ?? 'rejected';
      throw AppError.keyed('invalid_input', 'client.invalid', { reason });
    }
    return metadata;
  }

  /** Gatehouse itself calls these URIs, so a new or changed one may not point inside the network. */
  private async refusePrivateFetches(
    metadata: ClientMetadata,
    before: Partial<ClientMetadata>,
  ): Promise<void> {
    if (this.allowPrivateNetwork) return;
    const fetched = [
      ['backchannel_logout_uri', 'backchannel'],
      ['jwks_uri', 'jwks'],
    ] as const;
    for (const [key, which] of fetched) {
      const uri = metadata[key];
      if (typeof uri !== 'string' || uri === before[key]) continue;
      if (await pointsToPrivateNetwork(uri)) {
        throw AppError.keyed('invalid_input', 'client.privateAddress', { uri: which });
      }
    }
  }
}

/** The console client is Gatehouse's own sign-in; changing it would lock administrators out. */
function refuseBuiltIn(clientId: string): void {
  if (isBuiltInClient(clientId)) {
    throw AppError.keyed('conflict', 'client.builtIn', { clientId });
  }
}

/**
 * client_credentials and the admin scope need a client that authenticates (RFC 6749 §4.4): a public
 * client so registered got admin API tokens with no secret at all. The admin scope is for machine
 * tokens only, so it is refused beside the grants that carry a person's sign-in.
 */
function refuseMachineRightsForPublicClients(metadata: ClientMetadata): void {
  const grants = (metadata.grant_types as string[] | undefined) ?? [];
  const scopes = typeof metadata.scope === 'string' ? metadata.scope.split(' ') : [];
  if (isPublic(metadata) && grants.includes('client_credentials')) {
    throw AppError.keyed('invalid_input', 'client.credentialsNeedsSecret');
  }
  if (!scopes.includes(ADMIN_SCOPE)) return;
  if (metadata.access_token_format === 'jwt') {
    throw AppError.keyed('invalid_input', 'client.adminScopeOpaque', { scope: ADMIN_SCOPE });
  }
  if (isPublic(metadata)) {
    throw AppError.keyed('invalid_input', 'client.adminScopeConfidential', { scope: ADMIN_SCOPE });
  }
  if (grants.some((g) => g === 'authorization_code' || g === 'refresh_token')) {
    throw AppError.keyed('invalid_input', 'client.adminScopeMachine', { scope: ADMIN_SCOPE });
  }
}
