import { decodeJwt } from 'jose';
import type { NotificationBus } from '../notifications/notification-bus.ts';
import { causeOf, type Logger } from '../operations/logger.ts';
import type { ExternalLogins } from './external-logins.ts';
import { usesFederatedLogout } from './external-provider.ts';
import type { LogoutContinuations } from './logout-continuation-store.ts';

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
    // Only a person signing out has a browser to send upstream.
    if (!notification.sessionUid || notification.reason !== 'user') return;
    const { external } = deps;
    const record = await external.sessions.forSession(notification.sessionUid);
    const provider = record ? await external.registry.find(record.providerAlias) : undefined;
    if (!record || !provider) return;
    try {
      const protocol = external.protocols.for(provider);
      if (!usesFederatedLogout(provider, await protocol.hasEndSession(provider))) return;
      const state = await deps.continuations.create(
        notification.returnTo ?? `${deps.issuer}/session/end/success`,
      );
      const url = await protocol.endSessionUrl(provider, {
        idTokenHint: record.idToken,
        logoutHint: logoutHintOf(record.idToken),
        postLogoutRedirectUri: `${deps.issuer}/logout/upstream-callback`,
        state,
      });
      notification.signOutRedirectUrl = url?.toString();
    } catch (err) {
      // The local sign-out already happened; an unreachable upstream must not undo or block it.
      deps.logger.warn(
        { err: String(err), cause: causeOf(err), alias: provider.alias },
        'federated logout skipped: upstream unavailable',
      );
    }
  });
}

/**
 * Entra puts a `login_hint` claim in the ID token (an optional claim) for exactly this: sent back
 * as `logout_hint`, it signs that account out without showing the account picker.
 */
function logoutHintOf(idToken: string | undefined): string | undefined {
  if (!idToken) return undefined;
  try {
    const hint = decodeJwt(idToken).login_hint;
    return typeof hint === 'string' ? hint : undefined;
  } catch {
    return undefined;
  }
}
