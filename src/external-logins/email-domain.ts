/**
 * The domain of an email address, lower-cased; undefined unless the address has exactly one `@`
 * with something on each side. `x@allowed.test@evil.test` once passed an allowedEmailDomains check
 * for allowed.test by splitting at the first `@`, while mail for it goes to evil.test.
 */
export function emailDomain(email: string): string | undefined {
  const match = /^[^@\s]+@([^@\s]+)$/.exec(email.trim());
  return match?.[1]?.toLowerCase().replace(/\.$/, '');
}

/** True when `email` belongs to one of `allowed` (any domain when the list is empty). */
export function isAllowedEmailDomain(email: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  const domain = emailDomain(email);
  return domain !== undefined && allowed.some((d) => d.toLowerCase() === domain);
}
