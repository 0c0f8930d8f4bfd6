import type { SecretBox } from '../crypto/secret-box.ts';
import type { Database } from '../db/database.ts';
import {
  type ExternalProvider,
  type ExternalProviderOptions,
  normaliseOptions,
  providerOptionsSchema,
} from './external-provider.ts';

interface ProviderRow {
  alias: string;
  display_name: string;
  issuer: string;
  client_id: string;
  client_secret_encrypted: string;
  scopes: string[];
  options: Partial<ExternalProviderOptions>;
  sort_order: number;
}

/** SQL for `external_providers`; the client secret is encrypted with SECRET_KEY. */
export class ExternalProviderStore {
  readonly #db: Database;
  readonly #box: SecretBox;

  constructor(db: Database, box: SecretBox) {
    this.#db = db;
    this.#box = box;
  }

  async list(): Promise<ExternalProvider[]> {
    const rows: ProviderRow[] = await this.#db('external_providers').orderBy([
      { column: 'sort_order' },
      { column: 'alias' },
    ]);
    return rows.map((r) => this.#toProvider(r));
  }

  async find(alias: string): Promise<ExternalProvider | undefined> {
    const row: ProviderRow | undefined = await this.#db('external_providers').where({ alias }).first();
    return row ? this.#toProvider(row) : undefined;
  }

  async upsert(provider: ExternalProvider): Promise<void> {
    await this.#db('external_providers')
      .insert({
        alias: provider.alias,
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
  }

  async delete(alias: string): Promise<boolean> {
    return (await this.#db('external_providers').where({ alias }).delete()) > 0;
  }

  #toProvider(row: ProviderRow): ExternalProvider {
    return {
      alias: row.alias,
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
