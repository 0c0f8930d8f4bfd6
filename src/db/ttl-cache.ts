/**
 * A small in-process cache of lookups. Entries are dropped when a change notification names them
 * (see ChangeFeed) and, as a safety net for a notification that never arrived, after `ttlMs`.
 * Absent values are cached too, so a flood of requests for an unknown client id reaches the
 * database once per TTL, not once per request.
 */
export class TtlCache<V> {
  readonly #ttlMs: number;
  readonly #entries = new Map<string, { value: Promise<V>; until: number }>();
  /** Bumped by every invalidation, so a load that started before it is not stored after it. */
  #generation = 0;

  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs;
  }

  get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.#entries.get(key);
    if (hit && hit.until > Date.now()) return hit.value;
    const generation = this.#generation;
    const value = load();
    this.#entries.set(key, { value, until: Date.now() + this.#ttlMs });
    value.then(
      () => {
        if (generation !== this.#generation) this.#drop(key, value);
      },
      () => this.#drop(key, value),
    );
    return value;
  }

  invalidate(key: string): void {
    this.#generation++;
    this.#entries.delete(key);
  }

  clear(): void {
    this.#generation++;
    this.#entries.clear();
  }

  #drop(key: string, value: Promise<V>): void {
    if (this.#entries.get(key)?.value === value) this.#entries.delete(key);
  }
}
