import type { Middleware } from 'koa';
import compose from 'koa-compose';
import Provider, { type Configuration, type JWKS } from 'oidc-provider';
import type { SigningKeyService } from './signing-keys.ts';

export interface ProviderHostDeps {
  issuer: string;
  trustProxy: boolean;
  keys: SigningKeyService;
  /** Builds the configuration for a given key set; everything else in it is fixed. */
  configure(jwks: JWKS): Configuration;
  /** Attaches listeners (logging, notifications) to each provider instance created. */
  onProvider?(provider: Provider): void;
}

/**
 * Holds the live oidc-provider instance. oidc-provider reads its signing keys once, at
 * construction; when `gatehouse keys rotate` changes the keys in the database, each node notices
 * on its next poll and swaps in a new instance built with the new set. All state is in the
 * database, so requests in flight and those after the swap see the same sessions and tokens.
 */
export class ProviderHost {
  #provider: Provider;
  #dispatch: Middleware;
  #fingerprint: string;
  #timer: NodeJS.Timeout | undefined;
  readonly #rebuildListeners: Array<(provider: Provider) => void> = [];

  private readonly deps: ProviderHostDeps;

  private constructor(deps: ProviderHostDeps, built: { provider: Provider; fingerprint: string }) {
    this.deps = deps;
    this.#provider = built.provider;
    this.#fingerprint = built.fingerprint;
    this.#dispatch = compose(built.provider.middleware) as Middleware;
  }

  static async create(deps: ProviderHostDeps): Promise<ProviderHost> {
    await deps.keys.ensureKeys();
    return new ProviderHost(deps, await ProviderHost.build(deps));
  }

  get provider(): Provider {
    return this.#provider;
  }

  /** Koa middleware that hands the request to the current provider (as koa-mount does, at root). */
  middleware(): Middleware {
    return (ctx, next) => this.#dispatch(ctx, next);
  }

  /** Rebuilds the provider if the published key set changed. Returns true when it did. */
  async refreshKeys(): Promise<boolean> {
    const { fingerprint } = await this.deps.keys.loadJwks();
    if (fingerprint === this.#fingerprint) return false;
    const built = await ProviderHost.build(this.deps);
    this.#provider = built.provider;
    this.#fingerprint = built.fingerprint;
    this.#dispatch = compose(built.provider.middleware) as Middleware;
    for (const listener of this.#rebuildListeners) listener(built.provider);
    return true;
  }

  /** Runs `listener` on every provider instance built from now on (after a key rotation). */
  onRebuild(listener: (provider: Provider) => void): void {
    this.#rebuildListeners.push(listener);
  }

  startKeyRefresh(intervalSeconds: number, onError: (error: unknown) => void): void {
    this.#timer = setInterval(() => this.refreshKeys().catch(onError), intervalSeconds * 1000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  private static async build(deps: ProviderHostDeps): Promise<{ provider: Provider; fingerprint: string }> {
    const { keys, fingerprint } = await deps.keys.loadJwks();
    const provider = new Provider(deps.issuer, deps.configure({ keys: keys as JWKS['keys'] }));
    provider.proxy = deps.trustProxy;
    deps.onProvider?.(provider);
    return { provider, fingerprint };
  }
}
