import type { ExternalLoginService } from './external-login-service.ts';
import type { ExternalSessionStore } from './external-session-store.ts';
import type { UpstreamGroupSync } from './group-mapping.ts';
import type { ProviderRegistry } from './provider-registry.ts';
import type { UpstreamConfigurations } from './upstream-configurations.ts';
import type { UpstreamProtocols } from './upstream-protocol.ts';
import type { UpstreamRevalidation } from './upstream-revalidation.ts';
import type { UpstreamRoundTrip } from './upstream-round-trip.ts';

/** The external-login parts that routes use, built once in the composition root. */
export interface ExternalLogins {
  registry: ProviderRegistry;
  service: ExternalLoginService;
  roundTrip: UpstreamRoundTrip;
  sessions: ExternalSessionStore;
  protocols: UpstreamProtocols;
  groups: UpstreamGroupSync;
  revalidation: UpstreamRevalidation;
  configurations: UpstreamConfigurations;
}
