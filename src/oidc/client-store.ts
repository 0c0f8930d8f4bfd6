import type { ClientMetadata } from 'oidc-provider';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Database } from '../db/database.ts';
import { consoleClientMetadata, isBuiltInClient } from './console-client.ts';

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
}

/**
 * `issuer` fixes the built-in console client's registration (its redirect URI follows the issuer);
 * without it the stored row is returned as it is.
 */
export function createClientStore(db: Database, box: SecretBox, issuer?: string): ClientStore {
  const metadataOf = (row: ClientRow): ClientMetadata =>
    issuer && isBuiltInClient(row.client_id) ? consoleClientMetadata(issuer) : row.metadata;
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
      const row: ClientRow | undefined = await db('clients').where({ client_id: clientId }).first();
      if (!row) return undefined;
      const secret = row.client_secret_encrypted ? box.decrypt(row.client_secret_encrypted) : undefined;
      return { ...metadataOf(row), client_id: row.client_id, ...(secret ? { client_secret: secret } : {}) };
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
    },
    async update(clientId, { metadata, secret, skipConsent }) {
      const changes: Record<string, unknown> = {
        metadata: JSON.stringify(withoutSecret(metadata)),
        skip_consent: skipConsent,
        updated_at: db.fn.now(),
      };
      if (secret !== undefined)
        changes.client_secret_encrypted = secret === null ? null : box.encrypt(secret);
      return (await db('clients').where({ client_id: clientId }).update(changes)) > 0;
    },
    async delete(clientId) {
      return (await db('clients').where({ client_id: clientId }).delete()) > 0;
    },
  };
}

function withoutSecret(metadata: ClientMetadata): ClientMetadata {
  const { client_secret: _secret, ...rest } = metadata;
  return rest;
}
