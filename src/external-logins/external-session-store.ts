import type { SecretBox } from '../crypto/secret-box.ts';
import type { Database } from '../db/database.ts';
import { TTL } from '../oidc/ttl.ts';
import type { ExternalProvider } from './external-provider.ts';
import type { CompletedRoundTrip } from './upstream-round-trip.ts';

/**
 * Key of the interaction result that names the upstream session record, so that the Gatehouse
 * session made by oidc-provider can be tied to it (see assemble.ts, bindExternalSessions).
 */
export const EXTERNAL_SESSION_RESULT = 'gatehouseExternalSession';

export interface ExternalSession {
  id: number;
  sessionUid: string | null;
  userId: string;
  providerAlias: string;
  subject: string;
  upstreamSid: string | null;
  /** Absent for plain OAuth2 upstreams. */
  idToken: string | undefined;
  accessToken: string | undefined;
  refreshToken: string | undefined;
  checkedAt: Date;
}

/**
 * What an upstream said when a Gatehouse session was made from it (its ID token, `sid` and refresh
 * token, encrypted): federated logout sends the ID token back as `id_token_hint`, and the upstream's
 * back-channel logout names its `sid`.
 */
export class ExternalSessionStore {
  readonly #db: Database;
  readonly #box: SecretBox;

  constructor(db: Database, box: SecretBox) {
    this.#db = db;
    this.#box = box;
  }

  async record(entry: {
    userId: string;
    providerAlias: string;
    subject: string;
    upstreamSid: string | undefined;
    idToken: string | undefined;
    accessToken: string | undefined;
    refreshToken: string | undefined;
    ttlSeconds: number;
  }): Promise<number> {
    const [row] = await this.#db('external_sessions')
      .insert({
        user_id: entry.userId,
        provider_alias: entry.providerAlias,
        subject: entry.subject,
        upstream_sid: entry.upstreamSid ?? null,
        id_token_encrypted: this.#encrypt(entry.idToken),
        access_token_encrypted: this.#encrypt(entry.accessToken),
        refresh_token_encrypted: this.#encrypt(entry.refreshToken),
        expires_at: this.#db.raw('now() + make_interval(secs => ?)', [entry.ttlSeconds]),
      })
      .returning('id');
    return Number((row as { id: number | string }).id);
  }

  /** Ties the record to the Gatehouse session the sign-in produced. */
  async bind(id: number, sessionUid: string): Promise<void> {
    await this.#db('external_sessions').where({ id }).update({ session_uid: sessionUid });
  }

  async forSession(sessionUid: string): Promise<ExternalSession | undefined> {
    const row = await this.#db('external_sessions')
      .where({ session_uid: sessionUid })
      .orderBy('id', 'desc')
      .first();
    return row ? this.#toSession(row) : undefined;
  }

  /** The records an upstream back-channel logout names: by its `sid`, or every one of its `sub`. */
  async matching(
    providerAlias: string,
    by: { sid?: string | undefined; sub?: string | undefined },
  ): Promise<ExternalSession[]> {
    const q = this.#db('external_sessions')
      .where({ provider_alias: providerAlias })
      .whereNotNull('session_uid');
    if (by.sid) q.andWhere({ upstream_sid: by.sid });
    if (by.sub) q.andWhere({ subject: by.sub });
    return (await q).map((r: Record<string, unknown>) => this.#toSession(r));
  }

  /**
   * Takes the records due for a re-check (bound to a session, not checked for `olderThanSeconds`)
   * and marks them checked in the same statement, so that two nodes never use one refresh token
   * twice (a rotated refresh token used twice would read as a refusal).
   */
  async claimDue(olderThanSeconds: number, limit: number): Promise<ExternalSession[]> {
    const due = this.#db('external_sessions')
      .select('id')
      .whereNotNull('session_uid')
      .andWhere('expires_at', '>', this.#db.fn.now())
      .andWhere('checked_at', '<', this.#db.raw('now() - make_interval(secs => ?)', [olderThanSeconds]))
      .orderBy('checked_at')
      .limit(limit)
      .forUpdate()
      .skipLocked();
    const rows = await this.#db('external_sessions')
      .whereIn('id', due)
      .update({ checked_at: this.#db.fn.now() })
      .returning('*');
    return rows.map((r: Record<string, unknown>) => this.#toSession(r));
  }

  /**
   * Takes the newest record of a Gatehouse session when it is due for a re-check, marking it checked
   * in the same statement (as `claimDue`): a refresh and the schedule never check it both.
   */
  async claimForSession(sessionUid: string, olderThanSeconds: number): Promise<ExternalSession | undefined> {
    const due = this.#db('external_sessions')
      .select('id')
      .where({ session_uid: sessionUid })
      .andWhere('expires_at', '>', this.#db.fn.now())
      .andWhere('checked_at', '<', this.#db.raw('now() - make_interval(secs => ?)', [olderThanSeconds]))
      .orderBy('id', 'desc')
      .limit(1)
      .forUpdate()
      .skipLocked();
    const [row] = await this.#db('external_sessions')
      .whereIn('id', due)
      .update({ checked_at: this.#db.fn.now() })
      .returning('*');
    return row ? this.#toSession(row as Record<string, unknown>) : undefined;
  }

  /** What a successful re-check brought back (a rotated refresh token, a new ID token). */
  async updateTokens(
    id: number,
    tokens: {
      idToken?: string | undefined;
      accessToken?: string | undefined;
      refreshToken?: string | undefined;
    },
  ): Promise<void> {
    const changes: Record<string, string> = {};
    if (tokens.idToken) changes.id_token_encrypted = this.#box.encrypt(tokens.idToken);
    if (tokens.accessToken) changes.access_token_encrypted = this.#box.encrypt(tokens.accessToken);
    if (tokens.refreshToken) changes.refresh_token_encrypted = this.#box.encrypt(tokens.refreshToken);
    if (Object.keys(changes).length) await this.#db('external_sessions').where({ id }).update(changes);
  }

  /** Forgets every upstream session of a user at one provider (the upstream refused them). */
  async deleteFor(userId: string, providerAlias: string): Promise<void> {
    await this.#db('external_sessions').where({ user_id: userId, provider_alias: providerAlias }).delete();
  }

  async delete(id: number): Promise<void> {
    await this.#db('external_sessions').where({ id }).delete();
  }

  async purgeExpired(): Promise<number> {
    return this.#db('external_sessions').where('expires_at', '<', this.#db.fn.now()).delete();
  }

  #toSession(r: Record<string, unknown>): ExternalSession {
    return {
      id: Number(r.id),
      sessionUid: (r.session_uid as string | null) ?? null,
      userId: r.user_id as string,
      providerAlias: r.provider_alias as string,
      subject: r.subject as string,
      upstreamSid: (r.upstream_sid as string | null) ?? null,
      idToken: this.#decrypt(r.id_token_encrypted),
      accessToken: this.#decrypt(r.access_token_encrypted),
      refreshToken: this.#decrypt(r.refresh_token_encrypted),
      checkedAt: r.checked_at as Date,
    };
  }

  #encrypt(value: string | undefined): string | null {
    return value ? this.#box.encrypt(value) : null;
  }

  #decrypt(value: unknown): string | undefined {
    return typeof value === 'string' ? this.#box.decrypt(value) : undefined;
  }
}

/** Keeps what the upstream said at the end of a round trip (ID token, sid, refresh token). */
export function recordUpstreamSession(
  store: ExternalSessionStore,
  provider: Pick<ExternalProvider, 'alias'>,
  userId: string,
  { tokens, identity }: Pick<CompletedRoundTrip, 'tokens' | 'identity'>,
): Promise<number> {
  return store.record({
    userId,
    providerAlias: provider.alias,
    subject: identity.sub,
    upstreamSid: typeof tokens.claims.sid === 'string' ? tokens.claims.sid : undefined,
    idToken: tokens.idToken,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    ttlSeconds: TTL.Session,
  });
}
