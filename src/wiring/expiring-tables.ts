import type { Database } from '../db/database.ts';
import { AuthRequestStore } from '../external-logins/auth-request-store.ts';
import type { ExternalLogins } from '../external-logins/external-logins.ts';
import { LogoutContinuations } from '../external-logins/logout-continuation-store.ts';
import { OidcPayloadStore } from '../oidc/payload-store.ts';
import { SessionActivityStore } from '../oidc/session-activity-store.ts';
import type { SigningKeyService } from '../oidc/signing-keys.ts';
import type { ExpiringTable } from '../operations/maintenance.ts';
import type { OneTimeTokenStore } from '../users/one-time-token-store.ts';

/** The tables of the provider, the users and the external logins whose rows expire. */
export function expiringTables(
  db: Database,
  tokens: OneTimeTokenStore,
  external: ExternalLogins,
  keys: SigningKeyService,
): ExpiringTable[] {
  const payloads = new OidcPayloadStore(db);
  const activity = new SessionActivityStore(db);
  const requests = new AuthRequestStore(db);
  const continuations = new LogoutContinuations(db);
  return [
    { name: 'oidc_payloads', purgeExpired: () => payloads.purgeExpired() },
    { name: 'one_time_tokens', purgeExpired: () => tokens.purgeExpired() },
    { name: 'external_auth_requests', purgeExpired: () => requests.purgeExpired() },
    { name: 'external_sessions', purgeExpired: () => external.sessions.purgeExpired() },
    { name: 'logout_continuations', purgeExpired: () => continuations.purgeExpired() },
    { name: 'session_activity', purgeExpired: () => activity.purgeExpired() },
    { name: 'signing_keys', purgeExpired: () => keys.purgeExpired() },
  ];
}
