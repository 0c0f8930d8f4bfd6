import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import type { ProviderHost } from '../oidc/provider-host.ts';
import type { SessionService } from '../oidc/session-service.ts';
import type { Logger } from '../operations/logger.ts';
import type { OneTimeTokenStore } from '../users/one-time-token-store.ts';
import type { ExternalLogins } from './external-logins.ts';
import type { ExternalProvider } from './external-provider.ts';

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** A logout token older than this is refused; its jti is remembered at least this long. */
const MAX_TOKEN_AGE_SECONDS = 300;

export class InvalidLogoutToken extends Error {
  override name = 'InvalidLogoutToken';
}

export interface UpstreamLogoutDeps {
  external: ExternalLogins;
  sessions: SessionService;
  host: ProviderHost;
  tokens: OneTimeTokenStore;
  logger: Logger;
}

/**
 * OpenID Connect Back-Channel Logout, received from an upstream provider: the logout token is
 * verified (signature against the upstream's JWKS, iss, aud, events, sid/sub, no nonce, fresh, not
 * replayed), then every Gatehouse session made from that upstream session ends — which sends our
 * own back-channel logout to the applications.
 */
export class UpstreamLogout {
  readonly #deps: UpstreamLogoutDeps;
  readonly #keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  constructor(deps: UpstreamLogoutDeps) {
    this.#deps = deps;
  }

  /** Returns how many Gatehouse sessions ended. */
  async receive(provider: ExternalProvider, logoutToken: string): Promise<number> {
    const claims = await this.#verify(provider, logoutToken);
    await this.#rememberJti(provider, claims);
    const records = await this.#deps.external.sessions.matching(provider.alias, {
      sid: typeof claims.sid === 'string' ? claims.sid : undefined,
      sub: typeof claims.sid === 'string' ? undefined : claims.sub,
    });
    let ended = 0;
    for (const record of records) {
      const session = record.sessionUid
        ? await this.#deps.host.provider.Session.findByUid(record.sessionUid)
        : undefined;
      if (session) {
        await this.#deps.sessions.end(undefined, session);
        ended++;
      }
      await this.#deps.external.sessions.delete(record.id);
    }
    this.#deps.logger.info({ alias: provider.alias, ended }, 'upstream back-channel logout');
    return ended;
  }

  async #verify(provider: ExternalProvider, token: string): Promise<JWTPayload> {
    const config = await this.#deps.external.clients.configuration(provider);
    const metadata = config.serverMetadata();
    if (!metadata.jwks_uri) throw new InvalidLogoutToken('the upstream publishes no jwks_uri');
    let keys = this.#keySets.get(metadata.jwks_uri);
    if (!keys) {
      keys = createRemoteJWKSet(new URL(metadata.jwks_uri));
      this.#keySets.set(metadata.jwks_uri, keys);
    }
    const { payload } = await jwtVerify(token, keys, {
      issuer: metadata.issuer,
      audience: provider.clientId,
      maxTokenAge: MAX_TOKEN_AGE_SECONDS,
      clockTolerance: 30,
      requiredClaims: ['iat', 'jti'],
    }).catch((err: unknown) => {
      throw new InvalidLogoutToken(`logout token rejected: ${String(err)}`);
    });
    const events = payload.events as Record<string, unknown> | undefined;
    if (!events || typeof events[BACKCHANNEL_EVENT] !== 'object')
      throw new InvalidLogoutToken('missing the back-channel logout event');
    if ('nonce' in payload) throw new InvalidLogoutToken('a logout token must not carry a nonce');
    if (typeof payload.sid !== 'string' && typeof payload.sub !== 'string')
      throw new InvalidLogoutToken('neither sid nor sub');
    return payload;
  }

  /** A jti seen before is a replay; one insert decides, whichever node receives it. */
  async #rememberJti(provider: ExternalProvider, claims: JWTPayload): Promise<void> {
    try {
      await this.#deps.tokens.issue(
        'upstream_logout_jti',
        null,
        MAX_TOKEN_AGE_SECONDS * 2,
        `${provider.alias}:${claims.jti}`,
      );
    } catch (error) {
      if ((error as { code?: string }).code === '23505')
        throw new InvalidLogoutToken('logout token replayed');
      throw error;
    }
  }
}
