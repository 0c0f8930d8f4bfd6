import type { ClientMetadata } from 'oidc-provider';
import type { NotificationBus } from '../notifications/notification-bus.ts';
import type { Actor } from '../notifications/notification-types.ts';
import type { TokenGuard } from './token-guards.ts';

/** Where an application's access rule stopped a user: at sign-in, at /auth with a session, at /token. */
export type AccessStage = 'sign-in' | 'authorization' | 'token';

/** The groups an application is limited to (`allowed_groups`); empty: everyone may use it. */
export function allowedGroupsOf(metadata: Partial<ClientMetadata> | undefined): string[] {
  const value = metadata?.allowed_groups;
  return Array.isArray(value) ? value.filter((g): g is string => typeof g === 'string') : [];
}

/** A user may use an application limited to groups when they are in at least one of them. */
export function mayUse(userGroups: readonly string[], allowedGroups: readonly string[]): boolean {
  return allowedGroups.length === 0 || allowedGroups.some((g) => userGroups.includes(g));
}

/**
 * Per-application access (Keycloak #8783): a refusal is one audit event, whichever of the three
 * places found it, so an administrator sees who tried to use what.
 */
export async function announceRefusal(
  notifications: NotificationBus,
  refusal: { userId: string; clientId: string; stage: AccessStage; actor?: Actor | undefined },
): Promise<void> {
  await notifications.publish(
    'ApplicationAccessDenied',
    { affectedUserId: refusal.userId, actor: refusal.actor ?? {} },
    { clientId: refusal.clientId, stage: refusal.stage },
  );
}

/**
 * At the token endpoint: a refresh token issued before the user left the application's groups
 * stops working at its next use.
 */
export function applicationAccessGuard(notifications: NotificationBus): TokenGuard {
  return async ({ user, clientId, clientMetadata }) => {
    if (mayUse(user.groups, allowedGroupsOf(clientMetadata))) return true;
    await announceRefusal(notifications, { userId: user.id, clientId, stage: 'token' });
    return false;
  };
}
