/**
 * True when a string anywhere in `value` (keys included) holds U+0000 or a lone surrogate, which
 * PostgreSQL's text and jsonb cannot store. No real input contains either.
 */
export function containsUnstorableText(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\0') || !value.isWellFormed();
  if (Array.isArray(value)) return value.some(containsUnstorableText);
  if (value && typeof value === 'object') {
    return Object.entries(value).some(([key, v]) => containsUnstorableText(key) || containsUnstorableText(v));
  }
  return false;
}
