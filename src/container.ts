import type { Settings } from './config/settings.ts';
import { DatabaseAvailability } from './db/availability.ts';
import { type Database, openDatabase } from './db/database.ts';
import { migrateLatest } from './db/migrations.ts';
import { type Configure, GatehouseBuilder, loadExtensions } from './extensions.ts';
import type { ExternalLogins } from './external-logins/external-logins.ts';
import { registerFederatedLogout } from './external-logins/federated-logout.ts';
import { LogoutContinuations } from './external-logins/logout-continuation-store.ts';
import { AdminAudit } from './notifications/admin-audit.ts';
import { type AuditStore, createAuditStore } from './notifications/audit-store.ts';
import type { EmailService } from './notifications/email/email-service.ts';
import { OutboxStore } from './notifications/email/outbox-store.ts';
import { NotificationBus } from './notifications/notification-bus.ts';
import { ClientService } from './oidc/client-service.ts';
import type { ConsentStore } from './oidc/consent-store.ts';
import type { ProviderHost } from './oidc/provider-host.ts';
import type { SessionService } from './oidc/session-service.ts';
import type { SigningKeyService } from './oidc/signing-keys.ts';
import { createLogger, type Logger } from './operations/logger.ts';
import type { ExpiringTable } from './operations/maintenance.ts';
import type { RateLimits } from './rate-limits/rate-limits.ts';
import type { Views } from './rendering/views.ts';
import type { SignInPipeline } from './sign-in/sign-in-pipeline.ts';
import { FirstRunSetup } from './users/first-run.ts';
import type { InvitationService } from './users/invitations.ts';
import type { OneTimeTokenStore } from './users/one-time-token-store.ts';
import type { PasswordResetService } from './users/password-reset.ts';
import type { SignInManager } from './users/sign-in-manager.ts';
import type { TwoFactorService } from './users/two-factor/two-factor-service.ts';
import type { UserManager } from './users/user-manager.ts';
import { type AccountParts, signInServices, wireAccounts } from './wiring/account-wiring.ts';
import { expiringTables } from './wiring/expiring-tables.ts';
import { startListening, wireExternalLogins } from './wiring/external-wiring.ts';
import type { Foundation } from './wiring/foundation.ts';
import { type ProviderParts, wireProvider } from './wiring/provider-wiring.ts';

export interface Gatehouse {
  settings: Settings;
  logger: Logger;
  db: Database;
  views: Views;
  notifications: NotificationBus;
  audit: AuditStore;
  /** `adminAudit.record(actor, { action, target, before, after })` after every admin change. */
  adminAudit: AdminAudit;
  outbox: OutboxStore;
  /** The consents people gave, per user and application. */
  consents: ConsentStore;
  /** The named rate limits (src/rate-limits/policies.ts), shared by every node. */
  rateLimits: RateLimits;
  /** Whether the database answers; says so in the log once per outage. */
  availability: DatabaseAvailability;
  userManager: UserManager;
  signInManager: SignInManager;
  /** Where every way in ends: account rules, second factor, amr/acr, the success notification. */
  signIn: SignInPipeline;
  invitations: InvitationService;
  passwordReset: PasswordResetService;
  sessions: SessionService;
  email: EmailService;
  twoFactor: TwoFactorService;
  external: ExternalLogins;
  clients: ClientService;
  keys: SigningKeyService;
  host: ProviderHost;
  tokens: OneTimeTokenStore;
  setup: FirstRunSetup;
  /** Every table whose rows expire, purged by the maintenance loop. */
  expiring: ExpiringTable[];
  close(): Promise<void>;
}

export interface ContainerOptions {
  logger?: Logger;
  /** Customisations in code, applied after `GATEHOUSE_EXTENSIONS`. */
  configure?: Configure;
  /** Apply pending migrations first (default true). */
  migrate?: boolean;
}

/** The composition root: stores → provider → services → notifications. */
export async function createContainer(
  settings: Settings,
  options: ContainerOptions = {},
): Promise<Gatehouse> {
  const logger = options.logger ?? createLogger(settings);
  const { db, close, url } = await openDatabase(settings, logger);
  try {
    if (options.migrate ?? true) await migrateLatest(db);
    const builder = new GatehouseBuilder();
    if (settings.extensionsPath) await loadExtensions(settings.extensionsPath, builder);
    await options.configure?.(builder);
    const audit = createAuditStore(db);
    const notifications = new NotificationBus(logger, audit);
    const availability = new DatabaseAvailability(db, logger);
    const gatehouse = await assemble({
      settings,
      logger,
      db,
      url,
      close,
      builder,
      notifications,
      audit,
      availability,
    });
    // Gatehouse's own handlers first, then the extensions' in the order they registered them.
    registerFederatedLogout(notifications, {
      external: gatehouse.external,
      continuations: new LogoutContinuations(db),
      issuer: settings.issuer,
      logger,
    });
    builder.applyHandlers(notifications);
    return gatehouse;
  } catch (error) {
    await close();
    throw error;
  }
}

async function assemble(foundation: Foundation): Promise<Gatehouse> {
  const parts = await wireProvider(foundation);
  const accounts = wireAccounts(foundation, parts);
  const external = wireExternalLogins(foundation, parts, accounts);
  await startListening(foundation, parts, external);
  return gatehouseOf(foundation, parts, accounts, external);
}

function gatehouseOf(
  foundation: Foundation,
  parts: ProviderParts,
  accounts: AccountParts,
  external: ExternalLogins,
): Gatehouse {
  const { settings, logger, db, notifications, audit } = foundation;
  const { views, consents, sessions, clientStore, keys, host, tokens, changes } = parts;
  const { userManager, twoFactor, invitations, rateLimits } = accounts;
  return {
    settings,
    logger,
    db,
    views,
    notifications,
    audit,
    adminAudit: new AdminAudit(audit, logger),
    outbox: new OutboxStore(db),
    consents,
    rateLimits,
    availability: foundation.availability,
    userManager,
    invitations,
    external,
    sessions,
    email: accounts.email,
    keys,
    host,
    tokens,
    twoFactor,
    ...signInServices(foundation, accounts, external),
    clients: new ClientService(db, clientStore, () => host.provider, settings.allowPrivateNetworkFetch),
    setup: new FirstRunSetup(tokens, userManager, settings.issuer),
    expiring: expiringTables(foundation, parts, rateLimits, external),
    async close() {
      host.stop();
      foundation.availability.stop();
      await changes.stop();
      await foundation.close();
    },
  };
}
