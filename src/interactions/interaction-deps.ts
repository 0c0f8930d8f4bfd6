import type { Views } from '../http/views.ts';
import type { ProviderHost } from '../oidc/provider-host.ts';
import type { UserManager } from '../users/user-manager.ts';

/** What the sign-in steps need; the user manager is looked up per request because extensions replace it. */
export interface InteractionDeps {
  host: ProviderHost;
  views: Views;
  userManager(): UserManager;
}
