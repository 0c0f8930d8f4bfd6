/**
 * True when a string anywhere in `value` (keys included) holds U+0000 or a lone surrogate, which
 * PostgreSQL's text and jsonb cannot store. No real input contains either. The walk keeps its own
 * stack: JSON nested 30,000 deep once overflowed the call stack here (a RangeError, a 500).
 */
export function containsUnstorableText(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === 'string') {
      if (item.includes('\0') || !item.isWellFormed()) return true;
    } else if (Array.isArray(item)) {
      for (const v of item) pending.push(v);
    } else if (item && typeof item === 'object') {
      for (const [key, v] of Object.entries(item)) pending.push(key, v);
    }
  }
  return false;
}
