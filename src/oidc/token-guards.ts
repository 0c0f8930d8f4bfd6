import type { KoaContextWithOIDC } from 'oidc-provider';
import type { User } from '../users/user.ts';

/** What a token request carries about the sign-in it continues (a code, refresh or device code). */
export interface TokenRequest {
  user: User;
  clientId: string;
  clientMetadata: Record<string, unknown>;
  grantType: string;
  /** The session the grant came from and how it was made (`amr`), from the code or refresh token. */
  sessionUid: string | undefined;
  amr: string[];
}

/** A rule checked at the token endpoint: false refuses the grant (invalid_grant). */
export type TokenGuard = (request: TokenRequest) => Promise<boolean>;

/**
 * The rules that hold at the token endpoint as well as at sign-in: a refresh token outlives the
 * sign-in that made it, so per-application access and the upstream's verdict on the user are
 * asked again there. oidc-provider is built before the services that own those rules, so they are
 * added here once the composition root has them.
 */
export class TokenGuards {
  readonly #guards: TokenGuard[] = [];

  add(guard: TokenGuard): void {
    this.#guards.push(guard);
  }

  /** True when every rule lets the token request through; only asked on the token endpoint. */
  async allow(ctx: KoaContextWithOIDC, user: User, source: unknown): Promise<boolean> {
    const client = ctx.oidc?.client;
    if (ctx.oidc?.route !== 'token' || !client || this.#guards.length === 0) return true;
    const from = (source ?? {}) as { sessionUid?: unknown; amr?: unknown };
    const request: TokenRequest = {
      user,
      clientId: client.clientId,
      clientMetadata: client.metadata() as Record<string, unknown>,
      grantType: String(ctx.oidc.params?.grant_type ?? ''),
      sessionUid: typeof from.sessionUid === 'string' ? from.sessionUid : undefined,
      amr: Array.isArray(from.amr) ? from.amr.map(String) : [],
    };
    for (const guard of this.#guards) if (!(await guard(request))) return false;
    return true;
  }
}
