import type { Settings } from './config/settings.ts';
import { SecretBox } from './crypto/secret-box.ts';
import { createDatabase, type Database } from './db/database.ts';
import { migrateLatest } from './db/migrations.ts';
import { type Configure, GatehouseBuilder, loadExtensions } from './extensions.ts';
import { createViews, type Views } from './http/views.ts';
import { createFindAccount } from './oidc/accounts.ts';
import { ClientService } from './oidc/client-service.ts';
import { createClientStore } from './oidc/client-store.ts';
import { buildProviderConfiguration, TTL } from './oidc/configuration.ts';
import { createAdapterFactory } from './oidc/knex-adapter.ts';
import { ProviderHost } from './oidc/provider-host.ts';
import { SigningKeyService } from './oidc/signing-keys.ts';
import { createLogger, type Logger } from './operations/logger.ts';
import { FirstRunSetup } from './users/first-run.ts';
import { createOneTimeTokenStore, type OneTimeTokenStore } from './users/one-time-token-store.ts';
import { createPasswordHasher } from './users/password-hasher.ts';
import { UserManager } from './users/user-manager.ts';
import { createUserStore } from './users/user-store.ts';

export interface Gatehouse {
  settings: Settings;
  logger: Logger;
  db: Database;
  views: Views;
  userManager: UserManager;
  clients: ClientService;
  keys: SigningKeyService;
  host: ProviderHost;
  tokens: OneTimeTokenStore;
  setup: FirstRunSetup;
  close(): Promise<void>;
}

export interface ContainerOptions {
  logger?: Logger;
  /** Customisations in code, applied after `GATEHOUSE_EXTENSIONS`. */
  configure?: Configure;
  /** Apply pending migrations first (default true). */
  migrate?: boolean;
}

/** The composition root: stores → services → provider. */
export async function createContainer(
  settings: Settings,
  options: ContainerOptions = {},
): Promise<Gatehouse> {
  const logger = options.logger ?? createLogger(settings);
  const builder = new GatehouseBuilder();
  if (settings.extensionsPath) await loadExtensions(settings.extensionsPath, builder);
  await options.configure?.(builder);

  const db = createDatabase(settings);
  try {
    if (options.migrate ?? true) await migrateLatest(db);
    return await assemble(settings, logger, db, builder);
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

async function assemble(
  settings: Settings,
  logger: Logger,
  db: Database,
  builder: GatehouseBuilder,
): Promise<Gatehouse> {
  const box = new SecretBox(settings.secretKey);
  const views = createViews({ watch: settings.nodeEnv === 'development' });
  const clientStore = createClientStore(db, box);
  const tokens = createOneTimeTokenStore(db);
  const userDeps = { users: createUserStore(db), hasher: createPasswordHasher() };
  const userManager = builder.userManagerFactory
    ? builder.userManagerFactory(userDeps)
    : new UserManager(userDeps);

  const keys = new SigningKeyService(db, box, TTL.IdToken + 15 * 60);
  const adapter = createAdapterFactory(db, clientStore);
  const findAccount = createFindAccount(() => userManager);
  const host = await ProviderHost.create({
    issuer: settings.issuer,
    trustProxy: settings.trustProxy,
    keys,
    configure: (jwks) => buildProviderConfiguration({ settings, views, jwks, adapter, findAccount }),
    onProvider: (provider) => {
      provider.on('server_error', (_ctx, err) => logger.error({ err }, 'oidc-provider server error'));
      provider.on('backchannel.error', (_client, err, _uri, _sub, sid) =>
        logger.warn(
          { err: String(err), cause: String((err as Error).cause), sid },
          'back-channel logout delivery failed',
        ),
      );
    },
  });

  return {
    settings,
    logger,
    db,
    views,
    userManager,
    clients: new ClientService(db, clientStore, () => host.provider, settings.allowPrivateNetworkFetch),
    keys,
    host,
    tokens,
    setup: new FirstRunSetup(tokens, () => userManager, settings.issuer),
    async close() {
      host.stop();
      await db.destroy();
    },
  };
}
