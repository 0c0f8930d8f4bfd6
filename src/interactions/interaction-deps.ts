import type { ExternalLogins } from '../external-logins/external-logins.ts';
import type { NotificationBus } from '../notifications/notification-bus.ts';
import type { ConsentStore } from '../oidc/consent-store.ts';
import type { ProviderHost } from '../oidc/provider-host.ts';
import type { Views } from '../rendering/views.ts';
import type { SignInPipeline } from '../sign-in/sign-in-pipeline.ts';
import type { SignInManager } from '../users/sign-in-manager.ts';
import type { TwoFactorService } from '../users/two-factor/two-factor-service.ts';

/** What the sign-in steps need. */
export interface InteractionDeps {
  host: ProviderHost;
  views: Views;
  signInManager: SignInManager;
  signIn: SignInPipeline;
  twoFactor: TwoFactorService;
  external: ExternalLogins;
  consents: ConsentStore;
  notifications: NotificationBus;
  /** BREAK_GLASS_GROUP: its members may sign in at /break-glass under DenyLocalLogin. */
  breakGlassGroup: string | undefined;
}
