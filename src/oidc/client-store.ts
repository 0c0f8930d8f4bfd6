import type { ClientMetadata } from 'oidc-provider';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { ChangeFeed } from '../db/change-feed.ts';
import type { Database } from '../db/database.ts';
import { TtlCache } from '../db/ttl-cache.ts';
import { consoleClientMetadata, isBuiltInClient } from './console-client.ts';
import { enforcedRegistration } from './scopes.ts';

export interface StoredClient {
  clientId: string;
  /** Registered metadata without the secret. */
  metadata: ClientMetadata;
  hasSecret: boolean;
  skipConsent: boolean;
  createdAt: Date;
  updatedAt: Date;
}

interface ClientRow {
  client_id: string;
  metadata: ClientMetadata;
  client_secret_encrypted: string | null;
  skip_consent: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface ClientStore {
  /** The metadata oidc-provider sees, secret decrypted. */
  findMetadata(clientId: string): Promise<ClientMetadata | undefined>;
  find(clientId: string): Promise<StoredClient | undefined>;
  list(): Promise<StoredClient[]>;
  insert(client: {
    metadata: ClientMetadata;
    secret: string | undefined;
    skipConsent: boolean;
  }): Promise<void>;
  /** `secret`: a new secret, `null` to remove it (public client), `undefined` to keep it. */
  update(
    clientId: string,
    client: { metadata: ClientMetadata; secret?: string | null; skipConsent: boolean },
  ): Promise<boolean>;
  delete(clientId: string): Promise<boolean>;
  /** Tells every node that this client changed outside the store's own writes. */
  changed(clientId: string): Promise<void>;
  /** The same store inside a transaction (uncached; call `changed` after it commits). */
  withTransaction(trx: Database): ClientStore;
}

export interface ClientCacheOptions {
  /** Invalidates every node's cache on change; without it the cache is this process's only. */
  feed?: ChangeFeed;
  /** Safety net for a lost notification. 0 turns the cache off. */
  ttlSeconds: number;
}

/**
 * `issuer` fixes the built-in console client's registration (its redirect URI follows the issuer);
 * without it the stored row is returned as it is.
 *
 * Clients are read on every token, introspection and userinfo request, so the metadata (secret
 * decrypted) is cached per node and dropped on every node when a client changes (ChangeFeed).
 */
export function createClientStore(
  db: Database,
  box: SecretBox,
  issuer?: string,
  cacheOptions: ClientCacheOptions = { ttlSeconds: 0 },
): ClientStore {
  const metadataOf = (row: ClientRow): ClientMetadata =>
    issuer && isBuiltInClient(row.client_id) ? consoleClientMetadata(issuer) : row.metadata;
  const cache = new TtlCache<ClientMetadata | undefined>(cacheOptions.ttlSeconds * 1000);
  cacheOptions.feed?.subscribe((change) => {
    if (change === 'all') cache.clear();
    else if (change.table === 'clients') change.key ? cache.invalidate(change.key) : cache.clear();
  });
  const changed = async (clientId: string) => {
    if (cacheOptions.feed) await cacheOptions.feed.publish({ table: 'clients', key: clientId });
    else cache.invalidate(clientId);
  };
  const load = async (clientId: string): Promise<ClientMetadata | undefined> => {
    const row: ClientRow | undefined = await db('clients').where({ client_id: clientId }).first();
    if (!row) return undefined;
    const secret = row.client_secret_encrypted ? box.decrypt(row.client_secret_encrypted) : undefined;
    return enforcedRegistration({
      ...metadataOf(row),
      client_id: row.client_id,
      ...(secret ? { client_secret: secret } : {}),
    });
  };
  const toClient = (row: ClientRow): StoredClient => ({
    clientId: row.client_id,
    metadata: metadataOf(row),
    hasSecret: row.client_secret_encrypted !== null,
    skipConsent: row.skip_consent,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });

  return {
    async findMetadata(clientId) {
      if (cacheOptions.ttlSeconds === 0) return load(clientId);
      // A copy: oidc-provider must not be able to change what the next request gets.
      const cached = await cache.get(clientId, () => load(clientId));
      return cached && structuredClone(cached);
    },
    async find(clientId) {
      const row: ClientRow | undefined = await db('clients').where({ client_id: clientId }).first();
      return row ? toClient(row) : undefined;
    },
    async list() {
      const rows: ClientRow[] = await db('clients').orderBy('client_id');
      return rows.map(toClient);
    },
    async insert({ metadata, secret, skipConsent }) {
      await db('clients').insert({
        client_id: metadata.client_id,
        metadata: JSON.stringify(withoutSecret(metadata)),
        client_secret_encrypted: secret ? box.encrypt(secret) : null,
        skip_consent: skipConsent,
      });
      await changed(metadata.client_id);
    },
    async update(clientId, { metadata, secret, skipConsent }) {
      const changes: Record<string, unknown> = {
        metadata: JSON.stringify(withoutSecret(metadata)),
        skip_consent: skipConsent,
        updated_at: db.fn.now(),
      };
      if (secret !== undefined)
        changes.client_secret_encrypted = secret === null ? null : box.encrypt(secret);
      const updated = (await db('clients').where({ client_id: clientId }).update(changes)) > 0;
      await changed(clientId);
      return updated;
    },
    withTransaction(trx) {
      return createClientStore(trx, box, issuer);
    },
    async delete(clientId) {
      const deleted = (await db('clients').where({ client_id: clientId }).delete()) > 0;
      await changed(clientId);
      return deleted;
    },
    changed,
  };
}

function withoutSecret(metadata: ClientMetadata): ClientMetadata {
  const { client_secret: _secret, ...rest } = metadata;
  return rest;
}
