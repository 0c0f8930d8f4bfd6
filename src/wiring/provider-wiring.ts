import { brandFrom, logoOrigin } from '../branding/branding.ts';
import { SecretBox } from '../crypto/secret-box.ts';
import { ChangeFeed } from '../db/change-feed.ts';
import { providerPages } from '../interactions/provider-pages.ts';
import { createFindAccount } from '../oidc/accounts.ts';
import { enforceRegisteredAuthMethod } from '../oidc/client-auth-method.ts';
import { includeSidForFrontChannel } from '../oidc/client-metadata.ts';
import { type ClientStore, createClientStore } from '../oidc/client-store.ts';
import { buildProviderConfiguration } from '../oidc/configuration.ts';
import { ConsentStore } from '../oidc/consent-store.ts';
import { createAdapterFactory } from '../oidc/knex-adapter.ts';
import { ProviderHost } from '../oidc/provider-host.ts';
import { logProviderRefusals } from '../oidc/provider-logging.ts';
import { SessionService } from '../oidc/session-service.ts';
import { SigningKeyService } from '../oidc/signing-keys.ts';
import { TokenGuards } from '../oidc/token-guards.ts';
import { TTL } from '../oidc/ttl.ts';
import { causeOf, type Logger } from '../operations/logger.ts';
import { createViews, type Views } from '../rendering/views.ts';
import { ACCOUNT_ROWS } from '../users/account-rows.ts';
import { createOneTimeTokenStore, type OneTimeTokenStore } from '../users/one-time-token-store.ts';
import { createUserStore, type UserStore } from '../users/user-store.ts';
import type { Foundation } from './foundation.ts';

/** The stores, the change feed, oidc-provider and its sessions: what every service is built on. */
export interface ProviderParts {
  box: SecretBox;
  views: Views;
  users: UserStore;
  tokens: OneTimeTokenStore;
  changes: ChangeFeed;
  clientStore: ClientStore;
  keys: SigningKeyService;
  consents: ConsentStore;
  tokenGuards: TokenGuards;
  host: ProviderHost;
  sessions: SessionService;
}

export async function wireProvider(foundation: Foundation): Promise<ProviderParts> {
  const { settings, logger, db, url, notifications } = foundation;
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
  const stores = { views, keys, users, clientStore, consents, tokenGuards };
  const host = await createProviderHost(foundation, stores);
  const sessions = new SessionService(host, db, logger, notifications);
  recordSessionActivity(host, sessions, logger);
  return { ...stores, box, tokens, changes, host, sessions };
}

/** oidc-provider, which reads accounts straight from the user store and knows no service. */
function createProviderHost(
  foundation: Foundation,
  parts: Pick<ProviderParts, 'views' | 'keys' | 'users' | 'clientStore' | 'consents' | 'tokenGuards'>,
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
