import { AsyncLocalStorage } from 'node:async_hooks';
import type { Knex } from 'knex';
import type { AdapterPayload } from 'oidc-provider';
import type { User } from '../users/user.ts';

/** One `oidc_payloads` row as the adapter reads it. */
export interface PayloadRow {
  model: string;
  id: string;
  payload: AdapterPayload;
  consumedAt: Date | null;
  /** A consumed refresh token still inside the reuse window counts as not consumed. */
  reusable: boolean;
}

export type PendingWrite =
  | { kind: 'upsert'; payload: AdapterPayload; expiresIn: number; consume: boolean }
  /** `resave`: the artefact was saved again after it was consumed in this request. */
  | { kind: 'consume'; resave?: { payload: AdapterPayload; expiresIn: number } }
  | { kind: 'destroy' };

export interface PendingRevoke {
  model: string;
  grantId: string;
}

/**
 * A write of another table that belongs to the request's outcome (the session's last activity): it
 * goes out in the request's one write statement, and only when everything else is written.
 * `sql(guard)` is a data-modifying statement that writes only WHERE `guard` holds.
 */
export interface SideWrite {
  sql(guard: string): string;
  bindings: Knex.RawBinding[];
}

export const rowKey = (model: string, id: string): string => `${model}\u0000${id}`;
export const uidKey = (model: string, uid: string): string => `${model}\u0000uid\u0000${uid}`;

/**
 * What the adapter knows within one HTTP request. Reads are remembered (oidc-provider asks for the
 * same interaction, grant or session several times per request, and one statement fetches a token
 * with its grant and session). With `buffered`, writes wait here and go to the database in one
 * statement when the request has its answer: all of them or none (see AdapterUnitOfWork).
 */
export class AdapterScope {
  readonly buffered: boolean;
  readonly #reads = new Map<string, Promise<PayloadRow | undefined>>();
  readonly writes = new Map<string, { model: string; id: string; write: PendingWrite }>();
  readonly revokes: PendingRevoke[] = [];
  readonly sideWrites: SideWrite[] = [];
  /** Accounts read in the same statement as the artefact that names them (findAccount asks next). */
  readonly #accounts = new Map<string, User>();

  constructor(buffered: boolean) {
    this.buffered = buffered;
  }

  rememberAccount(user: User): void {
    this.#accounts.set(user.id, user);
  }

  account(id: string): User | undefined {
    return this.#accounts.get(id);
  }

  cached(key: string): Promise<PayloadRow | undefined> | undefined {
    return this.#reads.get(key);
  }

  remember(key: string, row: Promise<PayloadRow | undefined>): void {
    this.#reads.set(key, row);
  }

  /** After a write that went straight to the database, the remembered read is stale. */
  forget(model: string, id: string): void {
    this.#reads.delete(rowKey(model, id));
    for (const [key, row] of this.#reads) {
      if (key.startsWith(`${model}\u0000uid\u0000`)) {
        this.#reads.set(
          key,
          row.then((r) => (r?.id === id ? undefined : r)),
        );
      }
    }
  }

  /** The pending write for one artefact, if this request made one. */
  pending(model: string, id: string): PendingWrite | undefined {
    return this.writes.get(rowKey(model, id))?.write;
  }

  /** A pending upsert of `model` whose payload carries `uid`. */
  pendingByUid(model: string, uid: string): PendingWrite | undefined {
    for (const entry of this.writes.values()) {
      if (entry.model !== model) continue;
      const payload = entry.write.kind === 'upsert' ? entry.write.payload : undefined;
      if (payload?.uid === uid) return entry.write;
    }
    return undefined;
  }

  isRevoked(model: string, payload: AdapterPayload): boolean {
    return this.revokes.some((r) => r.model === model && r.grantId === payload.grantId);
  }

  upsert(model: string, id: string, payload: AdapterPayload, expiresIn: number): void {
    const current = this.pending(model, id);
    const write: PendingWrite =
      current?.kind === 'consume'
        ? { kind: 'consume', resave: { payload, expiresIn } }
        : { kind: 'upsert', payload, expiresIn, consume: current?.kind === 'upsert' && current.consume };
    this.writes.set(rowKey(model, id), { model, id, write });
  }

  consume(model: string, id: string): void {
    const current = this.pending(model, id);
    const write: PendingWrite =
      current?.kind === 'upsert' ? { ...current, consume: true } : { kind: 'consume' };
    this.writes.set(rowKey(model, id), { model, id, write });
  }

  destroy(model: string, id: string): void {
    this.writes.set(rowKey(model, id), { model, id, write: { kind: 'destroy' } });
  }

  revokeByGrantId(model: string, grantId: string): void {
    this.revokes.push({ model, grantId });
    for (const [key, entry] of this.writes) {
      if (entry.model === model && entry.write.kind === 'upsert' && entry.write.payload.grantId === grantId) {
        this.writes.delete(key);
      }
    }
  }
}

const storage = new AsyncLocalStorage<AdapterScope>();

export function currentScope(): AdapterScope | undefined {
  return storage.getStore();
}

export function runInScope<T>(scope: AdapterScope, work: () => Promise<T>): Promise<T> {
  return storage.run(scope, work);
}
