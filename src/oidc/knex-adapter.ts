import { type Adapter, type AdapterPayload, type ClientMetadata, errors } from 'oidc-provider';
import type { Database } from '../db/database.ts';
import type { AccountRows } from '../users/account-rows.ts';
import { currentScope, type PayloadRow, rowKey, uidKey } from './adapter-scope.ts';
import type { ClientStore } from './client-store.ts';
import { PayloadReader } from './payload-reader.ts';
import { OidcPayloadStore } from './payload-store.ts';

export interface AdapterOptions {
  /** How long a rotated refresh token may be presented again (a client that never got the answer). */
  refreshTokenReuseSeconds: number;
  /** Reads the account a token or session names in the same statement (see findAccount). */
  accounts?: AccountRows;
}

/**
 * oidc-provider's storage in PostgreSQL. Every model but Client lives in `oidc_payloads`; clients
 * come from the `clients` table that the `gatehouse client` commands manage (cached in ClientStore).
 */
export function createAdapterFactory(
  db: Database,
  clients: ClientStore,
  options: AdapterOptions,
): (model: string) => Adapter {
  const reader = new PayloadReader(db, options.refreshTokenReuseSeconds, options.accounts);
  return (model) => (model === 'Client' ? new ClientAdapter(clients) : new KnexAdapter(db, reader, model));
}

/**
 * Inside an HTTP request (an AdapterScope), reads are remembered and, on oidc-provider's own routes,
 * writes are held back and written together when the request ends (AdapterUnitOfWork). Outside one
 * (CLI, maintenance) every call is its own statement.
 */
export class KnexAdapter implements Adapter {
  private readonly db: Database;
  private readonly reader: PayloadReader;
  private readonly model: string;

  constructor(db: Database, reader: PayloadReader, model: string) {
    this.db = db;
    this.reader = reader;
    this.model = model;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const scope = currentScope();
    // oidc-provider passes no lifetime for what never expires (a registration access token).
    if (scope?.buffered) return scope.upsert(this.model, id, payload, expiresIn ?? 0);
    const row = {
      model: this.model,
      id,
      payload: JSON.stringify(payload),
      grant_id: payload.grantId ?? null,
      user_code: payload.userCode ?? null,
      uid: payload.uid ?? null,
      expires_at: expiresIn ? this.db.raw('now() + make_interval(secs => ?)', [expiresIn]) : null,
    };
    // consumed_at is left alone on update: re-saving a consumed artefact must not revive it.
    await this.db('oidc_payloads')
      .insert(row)
      .onConflict(['model', 'id'])
      .merge(['payload', 'grant_id', 'user_code', 'uid', 'expires_at']);
    scope?.forget(this.model, id);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const scope = currentScope();
    if (!scope) return toPayload(await this.reader.byId(this.model, id));
    const pending = scope.pending(this.model, id);
    if (pending?.kind === 'destroy') return undefined;
    if (pending?.kind === 'upsert') {
      return pending.consume ? { ...pending.payload, consumed: nowSeconds() } : pending.payload;
    }
    const key = rowKey(this.model, id);
    if (!scope.cached(key)) scope.remember(key, this.reader.prefetch(scope, this.model, id));
    const row = await scope.cached(key);
    if (!row || scope.isRevoked(this.model, row.payload)) return undefined;
    return pending?.kind === 'consume' ? { ...row.payload, consumed: nowSeconds() } : toPayload(row);
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.reader.byColumn(this.model, 'user_code', userCode).then(toPayload);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const scope = currentScope();
    if (!scope) return toPayload(await this.reader.byColumn(this.model, 'uid', uid));
    const pending = scope.pendingByUid(this.model, uid);
    if (pending?.kind === 'upsert') return pending.payload;
    const key = uidKey(this.model, uid);
    if (!scope.cached(key)) scope.remember(key, this.reader.byColumn(this.model, 'uid', uid));
    const row = await scope.cached(key);
    if (!row || scope.pending(this.model, row.id)?.kind === 'destroy') return undefined;
    return toPayload(row);
  }

  /**
   * Atomic: of N concurrent redemptions exactly one flips `consumed_at`; the others get
   * invalid_grant instead of each going on to mint tokens from the same code. Inside a unit of work
   * the check happens in the request's one write statement, with the same outcome.
   */
  async consume(id: string): Promise<void> {
    const scope = currentScope();
    if (scope?.buffered) return scope.consume(this.model, id);
    const reuse = this.model === 'RefreshToken' ? this.reader.refreshTokenReuseSeconds : 0;
    const updated = await this.db('oidc_payloads')
      .where({ model: this.model, id })
      .andWhere((q) =>
        q.whereNull('consumed_at').orWhereRaw('consumed_at > now() - make_interval(secs => ?::int)', [reuse]),
      )
      .update({ consumed_at: this.db.raw('coalesce(consumed_at, now())') });
    scope?.forget(this.model, id);
    if (updated === 0) throw new errors.InvalidGrant(`${this.label()} already consumed`);
  }

  async destroy(id: string): Promise<void> {
    const scope = currentScope();
    if (scope?.buffered) return scope.destroy(this.model, id);
    await this.db('oidc_payloads').where({ model: this.model, id }).delete();
    scope?.forget(this.model, id);
  }

  /**
   * Only this model's rows: oidc-provider calls it once per token model, and other models carry a
   * grantId too (an Interaction for a user who already has the grant) that revocation must not drop.
   */
  async revokeByGrantId(grantId: string): Promise<void> {
    const scope = currentScope();
    if (scope?.buffered) return scope.revokeByGrantId(this.model, grantId);
    await this.db('oidc_payloads').where({ model: this.model, grant_id: grantId }).delete();
  }

  private label(): string {
    return this.model === 'AuthorizationCode'
      ? 'authorization code'
      : this.model.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  }
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function toPayload(row: PayloadRow | undefined): AdapterPayload | undefined {
  if (!row) return undefined;
  if (!row.consumedAt || row.reusable) return row.payload;
  return { ...row.payload, consumed: Math.floor(row.consumedAt.getTime() / 1000) };
}

/**
 * Clients are managed by `gatehouse client …` and the admin API; the provider writes only the ones
 * applications register themselves (dynamic registration, RFC 7591/7592), into the same table, so
 * they are listed, changed and deleted like any other.
 */
class ClientAdapter implements Adapter {
  private readonly clients: ClientStore;

  constructor(clients: ClientStore) {
    this.clients = clients;
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return (await this.clients.findMetadata(id)) as AdapterPayload | undefined;
  }

  async upsert(id: string, payload: AdapterPayload): Promise<void> {
    const { client_secret: secret, ...metadata } = payload as ClientMetadata;
    const client = { metadata: { ...metadata, client_id: id }, secret, skipConsent: false };
    if (!(await this.clients.update(id, { ...client, secret: secret ?? null }))) {
      await this.clients.insert(client);
    }
  }
  async findByUserCode(): Promise<undefined> {
    return undefined;
  }
  async findByUid(): Promise<undefined> {
    return undefined;
  }
  async consume(): Promise<void> {}
  async destroy(id: string): Promise<void> {
    await this.clients.delete(id);
  }
  async revokeByGrantId(): Promise<void> {}
}

/** Removes expired rows (see OidcPayloadStore.purgeExpired, which the maintenance loop runs). */
export function purgeExpiredPayloads(db: Database, batchSize = 1000): Promise<number> {
  return new OidcPayloadStore(db).purgeExpired(batchSize);
}
