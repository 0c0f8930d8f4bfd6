import argon2 from 'argon2';

/**
 * argon2id at OWASP's recommended parameters (m=19 MiB, t=2, p=1): about 20 ms here, against
 * ~110 ms for the library default, so a 2-core node still verifies ~50 passwords a second.
 */
export const ARGON2_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** Spends the same work as a real verification, for unknown users, so timing does not tell. */
  verifyAgainstDummy(password: string): Promise<false>;
}

export function createPasswordHasher(): PasswordHasher {
  let dummy: Promise<string> | undefined;
  return {
    // NFC: "é" typed as one code point on one keyboard and as e + accent on another is one password.
    hash: (password) => argon2.hash(password.normalize('NFC'), ARGON2_OPTIONS),
    async verify(hash, password) {
      try {
        const normalised = password.normalize('NFC');
        if (await argon2.verify(hash, normalised)) return true;
        // Hashes made before passwords were normalised hold the text as it was typed.
        return normalised !== password && (await argon2.verify(hash, password));
      } catch {
        // A malformed stored hash is a failed verification, not a crash of the sign-in.
        return false;
      }
    },
    async verifyAgainstDummy(password) {
      dummy ??= argon2.hash('gatehouse-timing-equaliser', ARGON2_OPTIONS);
      await argon2.verify(await dummy, password.normalize('NFC'));
      return false;
    },
  };
}
