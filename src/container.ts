import { brandFrom, logoOrigin } from './branding/branding.ts';
import type { Settings } from './config/settings.ts';
import { deriveKey, SecretBox } from './crypto/secret-box.ts';
import { DatabaseAvailability } from './db/availability.ts';
import { ChangeFeed } from './db/change-feed.ts';
import { type Database, openDatabase } from './db/database.ts';
import { migrateLatest } from './db/migrations.ts';
import { type Configure, GatehouseBuilder, loadExtensions } from './extensions.ts';
import { bindExternalSessions, createExternalLogins } from './external-logins/assemble.ts';
import { AuthRequestStore } from './external-logins/auth-request-store.ts';
import type { ExternalLogins } from './external-logins/external-logins.ts';
import { registerFederatedLogout } from './external-logins/federated-logout.ts';
import { LogoutContinuations } from './external-logins/logout-continuation-store.ts';
import { providerPages } from './interactions/provider-pages.ts';
import { AdminAudit } from './notifications/admin-audit.ts';
import { type AuditStore, createAuditStore } from './notifications/audit-store.ts';
import type { EmailSender } from './notifications/email/email-message.ts';
import { createOutboxSender, createSmtpSender } from './notifications/email/email-senders.ts';
import { EmailService } from './notifications/email/email-service.ts';
import { OutboxStore } from './notifications/email/outbox-store.ts';
import { NotificationBus } from './notifications/notification-bus.ts';
import { createFindAccount } from './oidc/accounts.ts';
import { applicationAccessGuard } from './oidc/application-access.ts';
import { enforceRegisteredAuthMethod } from './oidc/client-auth-method.ts';
import { includeSidForFrontChannel } from './oidc/client-metadata.ts';
import { ClientService } from './oidc/client-service.ts';
import { type ClientStore, createClientStore } from './oidc/client-store.ts';
import { buildProviderConfiguration } from './oidc/configuration.ts';
import { ConsentStore } from './oidc/consent-store.ts';
import { createAdapterFactory } from './oidc/knex-adapter.ts';
import { OidcPayloadStore } from './oidc/payload-store.ts';
import { ProviderHost } from './oidc/provider-host.ts';
import { logProviderRefusals } from './oidc/provider-logging.ts';
import { SessionActivityStore } from './oidc/session-activity-store.ts';
import { SessionService } from './oidc/session-service.ts';
import { SigningKeyService } from './oidc/signing-keys.ts';
import { TokenGuards } from './oidc/token-guards.ts';
import { TTL } from './oidc/ttl.ts';
import { causeOf, createLogger, type Logger } from './operations/logger.ts';
import type { ExpiringTable } from './operations/maintenance.ts';
import { createRateLimitStore } from './rate-limits/rate-limit-store.ts';
import { RateLimits } from './rate-limits/rate-limits.ts';
import { createViews, type Views } from './rendering/views.ts';
import { SignInPipeline } from './sign-in/sign-in-pipeline.ts';
import { ACCOUNT_ROWS } from './users/account-rows.ts';
import { FirstRunSetup } from './users/first-run.ts';
import { InvitationService } from './users/invitations.ts';
import { createOneTimeTokenStore, type OneTimeTokenStore } from './users/one-time-token-store.ts';
import { createPasswordHasher } from './users/password-hasher.ts';
import { PasswordResetService } from './users/password-reset.ts';
import { SignInManager } from './users/sign-in-manager.ts';
import { TwoFactorService } from './users/two-factor/two-factor-service.ts';
import { TwoFactorStore } from './users/two-factor/two-factor-store.ts';
import { UserManager, type UserManagerDeps } from './users/user-manager.ts';
import { createUserStore, type UserStore } from './users/user-store.ts';

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

interface Foundation {
  settings: Settings;
  logger: Logger;
  db: Database;
  /** Lets go of the pool, and of the embedded cluster when Gatehouse runs one. */
  close(): Promise<void>;
  /** The database's connection URL (the embedded cluster's too), for the LISTEN connection. */
  url: string;
  builder: GatehouseBuilder;
  notifications: NotificationBus;
  audit: AuditStore;
  availability: DatabaseAvailability;
}

async function assemble(foundation: Foundation): Promise<Gatehouse> {
  const { settings, logger, db, url, close, builder, notifications, audit } = foundation;
  const box = new SecretBox(settings.secretKey);
  const views = createViews({
    brand: brandFrom(settings.branding, settings.issuer),
    logoOrigin: logoOrigin(settings.branding),
    watch: settings.nodeEnv === 'development',
  });
  const users = createUserStore(db);
  const tokens = createOneTimeTokenStore(db);
  const changes = new ChangeFeed(db, settings.databaseListenUrl ?? url, logger);
  const clientStore = createClientStore(db, box, settings.issuer, {
    feed: changes,
    ttlSeconds: settings.cacheTtlSeconds,
  });
  const keys = new SigningKeyService(db, box, TTL.IdToken + 15 * 60, changes);
  const consents = new ConsentStore(db);
  const tokenGuards = new TokenGuards();
  const host = await createProviderHost(foundation, {
    views,
    keys,
    users,
    clientStore,
    consents,
    tokenGuards,
  });
  const sessions = new SessionService(host, db, logger, notifications);
  recordSessionActivity(host, sessions, logger);
  const userDeps: UserManagerDeps = {
    users,
    hasher: createPasswordHasher(),
    notifications,
    sessions,
    passwords: settings.passwords,
    lockout: settings.lockout,
  };
  const userManager = builder.userManagerFactory?.(userDeps) ?? new UserManager(userDeps);
  const email = new EmailService(
    views,
    notifications,
    builder.emailSender ?? defaultEmailSender(settings, new OutboxStore(db), logger),
  );
  const flowDeps = { userManager, tokens, email, notifications, issuer: settings.issuer };
  const invitations = new InvitationService({ ...flowDeps, ttlSeconds: settings.inviteTtlSeconds });
  const rateLimits = createRateLimits(foundation);
  const twoFactor = new TwoFactorService({
    ...flowDeps,
    limits: rateLimits,
    store: new TwoFactorStore(db, box),
    recoveryKey: deriveKey(settings.secretKey, 'recovery-codes'),
    issuerName: 'Gatehouse',
    requiredGroups: settings.twoFactorRequiredGroups,
    emailCodeTtlSeconds: 10 * 60,
  });
  const external = createExternalLogins({
    settings,
    db,
    box,
    logger,
    notifications,
    userManager,
    invitations,
    declared: builder.externalProviders,
    changes,
    sessions: {
      endAllFor: (userId, options) => sessions.endAllFor(userId, options),
      exists: async (uid) => Boolean(await host.provider.Session.findByUid(uid)),
    },
  });
  changes.subscribe((change) => {
    if (change === 'all' || change.table === 'signing_keys') {
      host.refreshKeys().catch((err) => logger.warn({ err }, 'signing key refresh failed'));
    }
  });
  bindExternalSessions(host.provider, external, logger);
  tokenGuards.add(applicationAccessGuard(notifications));
  tokenGuards.add(external.revalidation.refreshGuard(settings.upstreamRevalidateSeconds));
  // Last, so that nothing above can fail with the listening connection left open.
  await changes.start();
  host.onRebuild((provider) => bindExternalSessions(provider, external, logger));

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
    signInManager: new SignInManager(userManager, notifications, rateLimits),
    signIn: new SignInPipeline({
      userManager,
      twoFactor,
      invitations,
      external: external.service,
      notifications,
    }),
    invitations,
    external,
    passwordReset: new PasswordResetService({
      ...flowDeps,
      localLogin: external.registry,
      logger,
      ttlSeconds: settings.passwordResetTtlSeconds,
    }),
    sessions,
    email,
    clients: new ClientService(db, clientStore, () => host.provider, settings.allowPrivateNetworkFetch),
    keys,
    host,
    tokens,
    setup: new FirstRunSetup(tokens, userManager, settings.issuer),
    expiring: [
      ...expiringTables(db, tokens, external, keys),
      { name: 'rate_limit_hits', purgeExpired: () => rateLimits.purge() },
      { name: 'audit_events', purgeExpired: () => audit.purgeOlderThan(settings.auditRetentionDays) },
    ],
    twoFactor,
    async close() {
      host.stop();
      foundation.availability.stop();
      await changes.stop();
      await close();
    },
  };
}

/** oidc-provider, which reads accounts straight from the user store and knows no service. */
function createProviderHost(
  foundation: Foundation,
  parts: {
    views: Views;
    keys: SigningKeyService;
    users: UserStore;
    clientStore: ClientStore;
    consents: ConsentStore;
    tokenGuards: TokenGuards;
  },
): Promise<ProviderHost> {
  const { settings, logger, db } = foundation;
  const adapter = createAdapterFactory(db, parts.clientStore, {
    refreshTokenReuseSeconds: settings.refreshTokenReuseSeconds,
    accounts: ACCOUNT_ROWS,
  });
  const findAccount = createFindAccount(parts.users, parts.tokenGuards);
  const pages = providerPages(parts.views, { logoutAlwaysConfirm: settings.logoutAlwaysConfirm });
  return ProviderHost.create({
    issuer: settings.issuer,
    trustProxy: settings.trustProxy,
    keys: parts.keys,
    configure: (jwks) =>
      buildProviderConfiguration({ settings, pages, jwks, adapter, findAccount, consents: parts.consents }),
    onProvider: (provider) => {
      enforceRegisteredAuthMethod(provider);
      includeSidForFrontChannel(provider);
      logProviderRefusals(provider, logger);
      provider.on('server_error', (ctx, err) => {
        // An outage is logged once (DatabaseAvailability) and answered 503 by providerOutage().
        if (foundation.availability.report(err)) ctx.state.databaseUnavailable = true;
        else logger.error({ err }, 'oidc-provider server error');
      });
      provider.on('backchannel.error', (_client, err, _uri, _sub, sid) =>
        logger.warn({ err: String(err), cause: causeOf(err), sid }, 'back-channel logout delivery failed'),
      );
    },
  });
}

/** Where a session was last used, for the sessions lists; a failure here must not fail a sign-in. */
function recordSessionActivity(host: ProviderHost, sessions: SessionService, logger: Logger): void {
  const bind = (provider: ProviderHost['provider']) =>
    provider.on('authorization.success', (ctx) => {
      const session = ctx.oidc.session;
      if (!session) return;
      sessions.touch(ctx, session).catch((err) => logger.warn({ err }, 'session activity not recorded'));
    });
  bind(host.provider);
  host.onRebuild(bind);
}

function expiringTables(
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

function defaultEmailSender(settings: Settings, outbox: OutboxStore, logger: Logger): EmailSender {
  return settings.smtpUrl && settings.emailDelivery === 'smtp'
    ? createSmtpSender(settings.smtpUrl, settings.mailFrom)
    : createOutboxSender(outbox, logger);
}

/** Each limit that starts refusing is logged and audited once, not once per refused request. */
function createRateLimits({ db, settings, logger, audit }: Foundation): RateLimits {
  return new RateLimits(createRateLimitStore(db), settings.rateLimits, ({ limit, ip }) => {
    logger.warn({ limit, ip }, 'rate limit reached; refusing with 429');
    audit.write({ type: 'RateLimited', ip, details: { limit } }).catch((err: unknown) => {
      logger.error({ err }, 'could not write the audit event');
    });
  });
}
