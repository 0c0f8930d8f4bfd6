import type { ExternalLoginService } from './external-login-service.ts';
import type { ExternalSessionStore } from './external-session-store.ts';
import type { ProviderRegistry } from './provider-registry.ts';
import type { UpstreamClients } from './upstream-clients.ts';
import type { UpstreamRoundTrip } from './upstream-round-trip.ts';

/** The external-login parts that routes use, built once in the composition root. */
export interface ExternalLogins {
  registry: ProviderRegistry;
  service: ExternalLoginService;
  roundTrip: UpstreamRoundTrip;
  sessions: ExternalSessionStore;
  clients: UpstreamClients;
}
