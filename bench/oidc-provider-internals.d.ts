// oidc-provider's default in-memory adapter and its store are not in its public types; the bench
// reaches for them (the package has no "exports" map, so the paths resolve) to give the bare
// provider the default adapter with a larger store. See bare-provider.ts for why.

declare module 'oidc-provider/lib/helpers/lru.js' {
  export default class LRU {
    constructor(options: { maxSize: number });
  }
}

declare module 'oidc-provider/lib/adapters/memory_adapter.js' {
  import type { Adapter } from 'oidc-provider';
  import type LRU from 'oidc-provider/lib/helpers/lru.js';

  const MemoryAdapter: new (model: string, store: LRU, clockTolerance?: number) => Adapter;
  export default MemoryAdapter;
}
