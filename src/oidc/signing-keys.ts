import { createHash, generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { ChangeFeed } from '../db/change-feed.ts';
import type { Database } from '../db/database.ts';
import { type NewKeyRow, SigningKeyStore } from './signing-key-store.ts';

/** The algorithms Gatehouse signs with; RS256 first because every OIDC client must support it. */
export const SIGNING_ALGORITHMS = ['RS256', 'ES256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export interface SigningJwk extends JsonWebKey {
  kid: string;
  alg: SigningAlgorithm;
  use: 'sig';
}

export interface KeyInfo {
  kid: string;
  alg: string;
  createdAt: Date;
  retiredAt: Date | null;
  expiresAt: Date | null;
}

/**
 * Signing keys live in the database, encrypted with `SECRET_KEY`, so every node signs and publishes
 * the same set. Rotation adds a key per algorithm and retires the previous one; a retired key stays
 * published (not used for signing) until the tokens it signed have expired.
 */
export class SigningKeyService {
  private readonly store: SigningKeyStore;
  private readonly box: SecretBox;
  /** How long a retired key stays in /jwks: the longest lifetime of anything it signed. */
  private readonly retentionSeconds: number;
  /** Tells every node to load the new keys now rather than at its next poll. */
  private readonly feed: ChangeFeed | undefined;

  constructor(db: Database, box: SecretBox, retentionSeconds: number, feed?: ChangeFeed) {
    this.store = new SigningKeyStore(db);
    this.box = box;
    this.retentionSeconds = retentionSeconds;
    this.feed = feed;
  }

  /** Creates the first keys on a new database; a no-op when every algorithm has an active key. */
  async ensureKeys(): Promise<void> {
    await this.store.addMissing(SIGNING_ALGORITHMS, (alg) => this.newKeyRow(alg as SigningAlgorithm));
  }

  /** Adds a fresh key per algorithm; the previous keys are retired but stay published. */
  async rotate(): Promise<KeyInfo[]> {
    await this.store.rotate(
      SIGNING_ALGORITHMS.map((alg) => this.newKeyRow(alg)),
      this.retentionSeconds,
    );
    await this.feed?.publish({ table: 'signing_keys' });
    return this.list();
  }

  async list(): Promise<KeyInfo[]> {
    const rows = await this.store.published();
    return rows.map((r) => ({
      kid: r.kid,
      alg: r.alg,
      createdAt: r.created_at,
      retiredAt: r.retired_at,
      expiresAt: r.expires_at,
    }));
  }

  /**
   * The private JWKS for oidc-provider: active keys first (oidc-provider signs with the first key
   * of an algorithm), then retired keys still inside their retention.
   */
  async loadJwks(): Promise<{ keys: SigningJwk[]; fingerprint: string }> {
    const rows = await this.store.published();
    const keys = rows.map((r) => JSON.parse(this.box.decrypt(r.private_jwk_encrypted)) as SigningJwk);
    const fingerprint = createHash('sha256')
      .update(rows.map((r) => `${r.kid}:${r.retired_at?.toISOString() ?? ''}`).join(','))
      .digest('hex');
    return { keys, fingerprint };
  }

  /** Retired keys past their retention (the maintenance loop). */
  purgeExpired(): Promise<number> {
    return this.store.purgeExpired();
  }

  private newKeyRow(alg: SigningAlgorithm): NewKeyRow {
    const jwk = generateJwk(alg);
    return { kid: jwk.kid, alg, private_jwk_encrypted: this.box.encrypt(JSON.stringify(jwk)) };
  }
}

function generateJwk(alg: SigningAlgorithm): SigningJwk {
  const { privateKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: thumbprint(jwk), alg, use: 'sig' };
}

/** RFC 7638 thumbprint, so a kid says which key it is and never collides by accident. */
function thumbprint(jwk: JsonWebKey): string {
  const members =
    jwk.kty === 'RSA'
      ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
      : { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}
