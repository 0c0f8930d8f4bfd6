import { randomToken } from '../crypto/secret-box.ts';
import type { Database } from '../db/database.ts';

export type AuthRequestPurpose = 'login' | 'link' | 'invite';

export interface AuthRequest {
  state: string;
  providerAlias: string;
  purpose: AuthRequestPurpose;
  /** The Gatehouse interaction a sign-in returns into. */
  interactionUid: string | null;
  /** The signed-in user a link attaches to. */
  userId: string | null;
  /** The invitation an invitee completes with this upstream identity. */
  inviteToken: string | null;
  codeVerifier: string;
  nonce: string;
}

const LIFETIME_SECONDS = 15 * 60;

/**
 * Upstream round trips in flight, keyed by `state`. Taking one deletes it, so a callback can be
 * used once; a state that was never issued, or is older than 15 minutes, finds nothing.
 */
export class AuthRequestStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async create(request: Omit<AuthRequest, 'state' | 'nonce'>): Promise<AuthRequest> {
    const full: AuthRequest = { ...request, state: randomToken(24), nonce: randomToken(24) };
    await this.#db('external_auth_requests').insert({
      state: full.state,
      provider_alias: full.providerAlias,
      purpose: full.purpose,
      interaction_uid: full.interactionUid,
      user_id: full.userId,
      invite_token: full.inviteToken,
      code_verifier: full.codeVerifier,
      nonce: full.nonce,
      expires_at: this.#db.raw('now() + make_interval(secs => ?)', [LIFETIME_SECONDS]),
    });
    return full;
  }

  /** Looks without taking (the callback forwards into the interaction, which then takes it). */
  async peek(state: string): Promise<AuthRequest | undefined> {
    const row = await this.#open(state).first();
    return row ? toRequest(row) : undefined;
  }

  async take(state: string): Promise<AuthRequest | undefined> {
    const [row] = await this.#open(state).delete().returning('*');
    return row ? toRequest(row) : undefined;
  }

  async purgeExpired(): Promise<number> {
    return this.#db('external_auth_requests').where('expires_at', '<', this.#db.fn.now()).delete();
  }

  #open(state: string) {
    return this.#db('external_auth_requests').where({ state }).andWhere('expires_at', '>', this.#db.fn.now());
  }
}

function toRequest(r: Record<string, unknown>): AuthRequest {
  return {
    state: r.state as string,
    providerAlias: r.provider_alias as string,
    purpose: r.purpose as AuthRequestPurpose,
    interactionUid: (r.interaction_uid as string | null) ?? null,
    userId: (r.user_id as string | null) ?? null,
    inviteToken: (r.invite_token as string | null) ?? null,
    codeVerifier: r.code_verifier as string,
    nonce: r.nonce as string,
  };
}
