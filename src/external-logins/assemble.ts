import type Provider from 'oidc-provider';
import type { Settings } from '../config/settings.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { ChangeFeed } from '../db/change-feed.ts';
import type { Database } from '../db/database.ts';
import type { NotificationBus } from '../notifications/notification-bus.ts';
import type { Logger } from '../operations/logger.ts';
import type { InvitationService } from '../users/invitations.ts';
import type { UserManager } from '../users/user-manager.ts';
import { AuthRequestStore } from './auth-request-store.ts';
import { ExternalGroupStore } from './external-group-store.ts';
import { ExternalLoginService } from './external-login-service.ts';
import { ExternalLoginStore } from './external-login-store.ts';
import type { ExternalLogins } from './external-logins.ts';
import type { ExternalProviderInput } from './external-provider.ts';
import { ExternalProviderStore } from './external-provider-store.ts';
import { EXTERNAL_SESSION_RESULT, ExternalSessionStore } from './external-session-store.ts';
import { UpstreamGroupSync } from './group-mapping.ts';
import { OAuth2Upstream } from './oauth2-upstream.ts';
import { OidcUpstream } from './oidc-upstream.ts';
import { ProviderRegistry } from './provider-registry.ts';
import { UpstreamConfigurations } from './upstream-configurations.ts';
import { UpstreamProtocols } from './upstream-protocol.ts';
import { type SessionPort, UpstreamRevalidation } from './upstream-revalidation.ts';
import { UpstreamRoundTrip } from './upstream-round-trip.ts';

export interface ExternalLoginsDeps {
  settings: Settings;
  db: Database;
  box: SecretBox;
  logger: Logger;
  notifications: NotificationBus;
  userManager: UserManager;
  invitations: InvitationService;
  /** From `builder.addExternalLoginProvider`. */
  declared: ExternalProviderInput[];
  /** Drops every node's cached provider list when a provider changes. */
  changes?: ChangeFeed;
  /** How deprovisioning ends a user's sessions. */
  sessions: SessionPort;
}

/** Builds the external-login parts (the composition root's share for upstream providers). */
export function createExternalLogins(deps: ExternalLoginsDeps): ExternalLogins {
  // Plain-http upstreams and private addresses go together: both are for development and tests.
  const allowInsecure = deps.settings.allowPrivateNetworkFetch;
  const store = new ExternalProviderStore(deps.db, deps.box, {
    ...(deps.changes ? { feed: deps.changes } : {}),
    ttlSeconds: deps.settings.cacheTtlSeconds,
  });
  const registry = new ProviderRegistry(store, deps.declared, {
    denyLocalLoginDomains: deps.settings.denyLocalLoginDomains,
    allowHttp: allowInsecure,
  });
  const configurations = new UpstreamConfigurations({ allowInsecure, logger: deps.logger });
  const protocols = new UpstreamProtocols({
    oidc: new OidcUpstream(configurations, deps.logger),
    oauth2: new OAuth2Upstream(configurations),
  });
  const groups = new UpstreamGroupSync(new ExternalGroupStore(deps.db), deps.userManager, deps.logger);
  const sessions = new ExternalSessionStore(deps.db, deps.box);
  return {
    registry,
    protocols,
    groups,
    configurations,
    sessions,
    revalidation: new UpstreamRevalidation({
      store: sessions,
      registry,
      protocols,
      groups,
      userManager: deps.userManager,
      sessions: deps.sessions,
      notifications: deps.notifications,
      logger: deps.logger,
    }),
    roundTrip: new UpstreamRoundTrip(deps.settings, new AuthRequestStore(deps.db), protocols),
    service: new ExternalLoginService({
      links: new ExternalLoginStore(deps.db),
      registry,
      userManager: deps.userManager,
      invitations: deps.invitations,
      notifications: deps.notifications,
      groups,
    }),
  };
}

/**
 * Once oidc-provider has made the session of a sign-in that came from an upstream, the upstream's
 * session record is tied to it (the session's uid exists only then).
 */
export function bindExternalSessions(provider: Provider, external: ExternalLogins, logger: Logger): void {
  provider.on('authorization.success', (ctx) => {
    const id = (ctx.oidc.result as Record<string, unknown> | undefined)?.[EXTERNAL_SESSION_RESULT];
    const uid = ctx.oidc.session?.uid;
    if (typeof id !== 'number' || !uid) return;
    external.sessions
      .bind(id, uid)
      .catch((err: unknown) => logger.error({ err }, 'could not bind the upstream session'));
  });
}
