import type { NotificationBus } from '../notifications/notification-bus.ts';
import { causeOf, type Logger } from '../operations/logger.ts';
import type { ExternalLogins } from './external-logins.ts';
import { usesFederatedLogout } from './external-provider.ts';
import type { LogoutContinuations } from './logout-continuations.ts';

export interface FederatedLogoutDeps {
  external: ExternalLogins;
  continuations: LogoutContinuations;
  issuer: string;
  logger: Logger;
}

/**
 * The default `UserLogoutSuccess` handler, registered before any extension's (the container
 * applies those afterwards): when the ended
 * session came from an upstream provider that supports it, sign-out continues at the upstream's
 * end-session endpoint (with `id_token_hint`, our `/logout/upstream-callback` and a state), and
 * comes back to where the application asked to go.
 */
export function registerFederatedLogout(bus: NotificationBus, deps: FederatedLogoutDeps): void {
  bus.on('UserLogoutSuccess', async (notification) => {
    if (!notification.sessionUid) return;
    const { external } = deps;
    const record = await external.sessions.forSession(notification.sessionUid);
    const provider = record ? await external.registry.find(record.providerAlias) : undefined;
    if (!record || !provider) return;
    try {
      const config = await external.clients.configuration(provider);
      if (!usesFederatedLogout(provider, Boolean(config.serverMetadata().end_session_endpoint))) return;
      const state = await deps.continuations.create(
        notification.returnTo ?? `${deps.issuer}/session/end/success`,
      );
      notification.signOutRedirectUrl = external.clients
        .endSessionUrl(config, {
          idTokenHint: record.idToken,
          postLogoutRedirectUri: `${deps.issuer}/logout/upstream-callback`,
          state,
        })
        ?.toString();
    } catch (err) {
      // The local sign-out already happened; an unreachable upstream must not undo or block it.
      deps.logger.warn(
        { err: String(err), cause: causeOf(err), alias: provider.alias },
        'federated logout skipped: upstream unavailable',
      );
    }
  });
}
