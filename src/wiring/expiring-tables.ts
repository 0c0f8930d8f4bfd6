import { AuthRequestStore } from '../external-logins/auth-request-store.ts';
import type { ExternalLogins } from '../external-logins/external-logins.ts';
import { LogoutContinuations } from '../external-logins/logout-continuation-store.ts';
import { OidcPayloadStore } from '../oidc/payload-store.ts';
import { SessionActivityStore } from '../oidc/session-activity-store.ts';
import type { ExpiringTable } from '../operations/maintenance.ts';
import type { RateLimits } from '../rate-limits/rate-limits.ts';
import type { Foundation } from './foundation.ts';
import type { ProviderParts } from './provider-wiring.ts';

/** Every table whose rows expire: the provider's, the users', the external logins', the limits' and the audit's. */
export function expiringTables(
  { db, settings, audit }: Foundation,
  { tokens, keys }: ProviderParts,
  rateLimits: RateLimits,
  external: ExternalLogins,
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
    { name: 'rate_limit_hits', purgeExpired: () => rateLimits.purge() },
    { name: 'audit_events', purgeExpired: () => audit.purgeOlderThan(settings.auditRetentionDays) },
  ];
}
