import type { NotificationBus } from '../notifications/notification-bus.ts';
import type { LogoutReason } from '../notifications/notification-types.ts';
import type { TokenGuard } from '../oidc/token-guards.ts';
import type { Logger } from '../operations/logger.ts';
import type { UserManager } from '../users/user-manager.ts';
import type { ExternalSession, ExternalSessionStore } from './external-session-store.ts';
import { GroupOverage, hasGroupOverage, type UpstreamGroupSync } from './group-mapping.ts';
import type { ProviderRegistry } from './provider-registry.ts';
import type { UpstreamProtocols } from './upstream-protocol.ts';

const BATCH = 50;

/** How the domain ends sessions, declared here and given by the composition root. */
export interface SessionPort {
  /** Ends every session and grant of the user, announcing each; answers how many sessions ended. */
  endAllFor(userId: string, options?: { reason?: LogoutReason }): Promise<number>;
  exists(sessionUid: string): Promise<boolean>;
}

export interface RevalidationDeps {
  store: ExternalSessionStore;
  registry: ProviderRegistry;
  protocols: UpstreamProtocols;
  groups: UpstreamGroupSync;
  userManager: UserManager;
  sessions: SessionPort;
  notifications: NotificationBus;
  logger: Logger;
}

/**
 * Deprovisioning: every upstream-linked session is re-checked at its upstream every
 * UPSTREAM_REVALIDATE_SECONDS with what the upstream gave (refresh token; user-info for OAuth2).
 * A refusal — the user was disabled or removed upstream — ends the user's Gatehouse sessions and
 * grants (applications hear it over back-channel logout, refresh tokens die) and publishes
 * `UserLogoutSuccess`; an answer re-maps the user's groups. An upstream that cannot be reached
 * changes nothing: an outage must not sign everyone out.
 */
export class UpstreamRevalidation {
  readonly #deps: RevalidationDeps;

  constructor(deps: RevalidationDeps) {
    this.#deps = deps;
  }

  /** Starts the schedule; answers the function that stops it. 0 seconds: off. */
  start(intervalSeconds: number): () => void {
    if (intervalSeconds <= 0) return () => {};
    let running = false;
    const tick = async () => {
      if (running) return;
      running = true;
      try {
        await this.revalidateDue(intervalSeconds);
      } catch (err) {
        this.#deps.logger.warn({ err: String(err) }, 'upstream re-check failed; will retry');
      } finally {
        running = false;
      }
    };
    const timer = setInterval(tick, Math.max(1, Math.min(60, intervalSeconds / 2)) * 1000);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Re-checks the sessions not checked for `olderThanSeconds`; answers how many users were ended. */
  async revalidateDue(olderThanSeconds: number): Promise<number> {
    let ended = 0;
    for (const record of await this.#deps.store.claimDue(olderThanSeconds, BATCH)) {
      if (await this.check(record)) ended++;
    }
    return ended;
  }

  /**
   * Deprovisioning at refresh time: when an application uses a refresh token of a session that came
   * from an upstream, and that session was not re-checked for `intervalSeconds`, it is re-checked
   * now, before the token is answered. A refusal ends the user's sessions and grants (announced
   * once, by the one sign-out path) and the refresh token is refused; an upstream that cannot be
   * reached lets the refresh through, as the schedule does.
   */
  refreshGuard(intervalSeconds: number): TokenGuard {
    return async ({ grantType, sessionUid, amr }) => {
      if (intervalSeconds <= 0 || grantType !== 'refresh_token' || !sessionUid || !amr.includes('fed')) {
        return true;
      }
      const record = await this.#deps.store.claimForSession(sessionUid, intervalSeconds);
      return record ? !(await this.check(record)) : true;
    };
  }

  /** Answers true when the upstream refused and the user's sessions were ended. */
  async check(record: ExternalSession): Promise<boolean> {
    const provider = await this.#deps.registry.find(record.providerAlias);
    if (!provider || !record.sessionUid) return false;
    if (!(await this.#deps.sessions.exists(record.sessionUid))) {
      await this.#deps.store.delete(record.id);
      return false;
    }
    const outcome = await this.#deps.protocols
      .for(provider)
      .revalidate(provider, { refreshToken: record.refreshToken, accessToken: record.accessToken });
    if (outcome.status === 'unknown') {
      this.#deps.logger.debug(
        { alias: provider.alias, reason: outcome.reason },
        'upstream re-check inconclusive',
      );
      return false;
    }
    if (outcome.status === 'refused') {
      await this.#deprovision(record, outcome.reason);
      return true;
    }
    await this.#deps.store.updateTokens(record.id, outcome.tokens);
    const user = await this.#deps.userManager.findById(record.userId);
    const claims = outcome.tokens.claims;
    // A refreshed token that leaves the mapped claims out says nothing about groups; only one that
    // carries them (or Entra's overage marker) re-maps them.
    const speaksOfGroups =
      claims && (provider.options.groupMappings.some((m) => m.claim in claims) || hasGroupOverage(claims));
    if (user && claims && speaksOfGroups) {
      await this.#deps.groups
        .apply(user, provider, { ...claims, sub: record.subject }, outcome.tokens.accessToken)
        .catch((error: unknown) => {
          if (!(error instanceof GroupOverage)) throw error;
        });
    }
    return false;
  }

  async #deprovision(record: ExternalSession, reason: string): Promise<void> {
    // The one sign-out path announces every session that ends (UserLogoutSuccess, reason upstream).
    const ended = await this.#deps.sessions.endAllFor(record.userId, { reason: 'upstream' });
    await this.#deps.store.deleteFor(record.userId, record.providerAlias);
    this.#deps.logger.warn(
      { alias: record.providerAlias, userId: record.userId, ended, reason },
      'the upstream refused the user: their sessions and grants ended',
    );
  }
}
