import type { ExternalProvider } from './external-provider.ts';

export interface UpstreamIdentity {
  sub: string;
  /** The address the account is matched by: the value of the provider's `matchClaim`. */
  email?: string | undefined;
  /** What the provider's `emailVerifiedClaim` says (Entra: `xms_edov`). */
  emailVerified: boolean;
  name?: string | undefined;
  claims: Record<string, unknown>;
}

const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

/** Claims say "true" in several spellings: Entra's xms_edov arrives as true, "1" or 1. */
export function claimIsTrue(value: unknown): boolean {
  return value === true || value === 1 || value === 'true' || value === '1';
}

/** The identity an upstream asserted, read through the provider's matching options. */
export function identityOf(
  provider: Pick<ExternalProvider, 'options'>,
  claims: Record<string, unknown>,
): UpstreamIdentity {
  const { matchClaim, emailVerifiedClaim } = provider.options.autoLink;
  const name =
    text(claims.name) ??
    ([text(claims.given_name), text(claims.family_name)].filter(Boolean).join(' ') || undefined);
  const matched = text(claims[matchClaim]);
  return {
    sub: String(claims.sub),
    // Only something shaped like an address can match an account (a upn or login usually is).
    email: matched?.includes('@') ? matched : undefined,
    emailVerified: claimIsTrue(claims[emailVerifiedClaim]),
    name,
    claims,
  };
}
