import type { SecretBox } from '../crypto/secret-box.ts';
import type { ChangeFeed } from '../db/change-feed.ts';
import type { Database } from '../db/database.ts';
import { TtlCache } from '../db/ttl-cache.ts';
import {
  type ExternalProvider,
  type ExternalProviderOptions,
  normaliseOptions,
  providerOptionsSchema,
} from './external-provider.ts';

interface ProviderRow {
  alias: string;
  kind: ExternalProvider['kind'];
  client_private_key_encrypted: string | null;
  display_name: string;
  issuer: string;
  client_id: string;
  client_secret_encrypted: string;
  scopes: string[];
  options: Partial<ExternalProviderOptions>;
  sort_order: number;
}

export interface ProviderCacheOptions {
  /** Invalidates every node's copy on change; without it only this process's. */
  feed?: ChangeFeed;
  /** Safety net for a lost notification. 0 turns the cache off. */
  ttlSeconds: number;
}

/**
 * SQL for `external_providers`; the client secret is encrypted with SECRET_KEY. Every sign-in page
 * lists the providers, so the (short) list is cached per node and dropped on every node when a
 * provider changes.
 */
export class ExternalProviderStore {
  readonly #db: Database;
  readonly #box: SecretBox;
  readonly #cache: TtlCache<ExternalProvider[]>;
  readonly #options: ProviderCacheOptions;

  constructor(db: Database, box: SecretBox, options: ProviderCacheOptions = { ttlSeconds: 0 }) {
    this.#db = db;
    this.#box = box;
    this.#options = options;
    this.#cache = new TtlCache(options.ttlSeconds * 1000);
    options.feed?.subscribe((change) => {
      if (change === 'all' || change.table === 'external_providers') this.#cache.clear();
    });
  }

  async list(): Promise<ExternalProvider[]> {
    if (this.#options.ttlSeconds === 0) return this.#load();
    return structuredClone(await this.#cache.get('all', () => this.#load()));
  }

  async find(alias: string): Promise<ExternalProvider | undefined> {
    return (await this.list()).find((p) => p.alias === alias);
  }

  async #load(): Promise<ExternalProvider[]> {
    const rows: ProviderRow[] = await this.#db('external_providers').orderBy([
      { column: 'sort_order' },
      { column: 'alias' },
    ]);
    return rows.map((r) => this.#toProvider(r));
  }

  async #changed(): Promise<void> {
    if (this.#options.feed) await this.#options.feed.publish({ table: 'external_providers' });
    else this.#cache.clear();
  }

  async upsert(provider: ExternalProvider): Promise<void> {
    await this.#db('external_providers')
      .insert({
        alias: provider.alias,
        kind: provider.kind,
        client_private_key_encrypted: provider.clientPrivateKey
          ? this.#box.encrypt(provider.clientPrivateKey)
          : null,
        display_name: provider.displayName,
        issuer: provider.issuer,
        client_id: provider.clientId,
        client_secret_encrypted: this.#box.encrypt(provider.clientSecret),
        scopes: provider.scopes,
        options: JSON.stringify(provider.options),
        sort_order: provider.sortOrder,
        updated_at: this.#db.fn.now(),
      })
      .onConflict('alias')
      .merge();
    await this.#changed();
  }

  async delete(alias: string): Promise<boolean> {
    const deleted = (await this.#db('external_providers').where({ alias }).delete()) > 0;
    await this.#changed();
    return deleted;
  }

  #toProvider(row: ProviderRow): ExternalProvider {
    return {
      alias: row.alias,
      kind: row.kind,
      clientPrivateKey: row.client_private_key_encrypted
        ? this.#box.decrypt(row.client_private_key_encrypted)
        : undefined,
      displayName: row.display_name,
      issuer: row.issuer,
      clientId: row.client_id,
      clientSecret: this.#box.decrypt(row.client_secret_encrypted),
      scopes: row.scopes,
      sortOrder: row.sort_order,
      source: 'database',
      // Options saved by an older version get today's defaults for anything they lack.
      options: normaliseOptions(providerOptionsSchema.parse(row.options ?? {})),
    };
  }
}
