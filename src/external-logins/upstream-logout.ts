import type { JWTPayload } from 'jose';
import type { ProviderHost } from '../oidc/provider-host.ts';
import type { SessionService } from '../oidc/session-service.ts';
import type { Logger } from '../operations/logger.ts';
import type { OneTimeTokenStore } from '../users/one-time-token-store.ts';
import type { ExternalLogins } from './external-logins.ts';
import type { ExternalProvider } from './external-provider.ts';
import type { ExternalSession } from './external-session-store.ts';

import { MAX_LOGOUT_TOKEN_AGE_SECONDS } from './oidc-upstream.ts';
import { InvalidLogoutToken } from './upstream-protocol.ts';

export { InvalidLogoutToken };

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

  constructor(deps: UpstreamLogoutDeps) {
    this.#deps = deps;
  }

  /** Returns how many Gatehouse sessions ended. */
  async receive(provider: ExternalProvider, logoutToken: string): Promise<number> {
    const claims = await this.#deps.external.protocols.for(provider).verifyLogoutToken(provider, logoutToken);
    await this.#rememberJti(provider, claims);
    const records = await this.#deps.external.sessions.matching(provider.alias, {
      sid: typeof claims.sid === 'string' ? claims.sid : undefined,
      sub: typeof claims.sid === 'string' ? undefined : claims.sub,
    });
    const ended = await this.#endRecords(records);
    this.#deps.logger.info({ alias: provider.alias, ended }, 'upstream back-channel logout');
    return ended;
  }

  /**
   * OpenID Connect Front-Channel Logout 1.0, for upstreams that only do that (Entra ID): the
   * browser loads our URL in a hidden frame with `iss` and `sid`. The sid is the upstream's
   * unguessable session id, and iss must be this upstream's issuer; a request without them ends
   * nothing (a third-party frame carries no cookie of ours to go by).
   */
  async receiveFrontChannel(
    provider: ExternalProvider,
    params: { iss?: string; sid?: string },
  ): Promise<number> {
    if (!params.sid || !params.iss) throw new InvalidLogoutToken('iss and sid are required');
    const issuer = await this.#deps.external.protocols.for(provider).issuerOf(provider);
    if (params.iss !== issuer) throw new InvalidLogoutToken('iss is not this upstream');
    const records = await this.#deps.external.sessions.matching(provider.alias, { sid: params.sid });
    const ended = await this.#endRecords(records);
    this.#deps.logger.info({ alias: provider.alias, ended }, 'upstream front-channel logout');
    return ended;
  }

  async #endRecords(records: ExternalSession[]): Promise<number> {
    let ended = 0;
    for (const record of records) {
      const session = record.sessionUid
        ? await this.#deps.host.provider.Session.findByUid(record.sessionUid)
        : undefined;
      if (session) {
        await this.#deps.sessions.end(undefined, session, { reason: 'upstream' });
        ended++;
      }
      await this.#deps.external.sessions.delete(record.id);
    }
    return ended;
  }

  /** A jti seen before is a replay; one insert decides, whichever node receives it. */
  async #rememberJti(provider: ExternalProvider, claims: JWTPayload): Promise<void> {
    try {
      await this.#deps.tokens.issue(
        'upstream_logout_jti',
        null,
        MAX_LOGOUT_TOKEN_AGE_SECONDS * 2,
        `${provider.alias}:${claims.jti}`,
      );
    } catch (error) {
      if ((error as { code?: string }).code === '23505')
        throw new InvalidLogoutToken('logout token replayed');
      throw error;
    }
  }
}
