import { bindExternalSessions, createExternalLogins } from '../external-logins/assemble.ts';
import type { ExternalLogins } from '../external-logins/external-logins.ts';
import { applicationAccessGuard } from '../oidc/application-access.ts';
import type { AccountParts } from './account-wiring.ts';
import type { Foundation } from './foundation.ts';
import type { ProviderParts } from './provider-wiring.ts';

/** The upstream providers and links; the sessions port reaches oidc-provider only through `host`. */
export function wireExternalLogins(
  foundation: Foundation,
  parts: ProviderParts,
  accounts: AccountParts,
): ExternalLogins {
  const { settings, db, logger, notifications, builder } = foundation;
  const { sessions, host } = parts;
  return createExternalLogins({
    settings,
    db,
    box: parts.box,
    logger,
    notifications,
    userManager: accounts.userManager,
    invitations: accounts.invitations,
    declared: builder.externalProviders,
    changes: parts.changes,
    sessions: {
      endAllFor: (userId, options) => sessions.endAllFor(userId, options),
      exists: async (uid) => Boolean(await host.provider.Session.findByUid(uid)),
    },
  });
}

/**
 * Binds the external sessions and the token guards to oidc-provider (again on every rebuild) and
 * starts listening for changes: last, so that nothing before can fail with the connection open.
 */
export async function startListening(
  foundation: Foundation,
  parts: ProviderParts,
  external: ExternalLogins,
): Promise<void> {
  const { settings, logger, notifications } = foundation;
  const { changes, host, tokenGuards } = parts;
  changes.subscribe((change) => {
    if (change === 'all' || change.table === 'signing_keys') {
      host.refreshKeys().catch((err) => logger.warn({ err }, 'signing key refresh failed'));
    }
  });
  bindExternalSessions(host.provider, external, logger);
  tokenGuards.add(applicationAccessGuard(notifications));
  tokenGuards.add(external.revalidation.refreshGuard(settings.upstreamRevalidateSeconds));
  await changes.start();
  host.onRebuild((provider) => bindExternalSessions(provider, external, logger));
}
