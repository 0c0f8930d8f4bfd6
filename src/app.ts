import Router from '@koa/router';
import Koa, { type Middleware } from 'koa';
import { accountRouter } from './account/router.ts';
import { twoFactorAccountRouter } from './account/two-factor/router.ts';
import { consoleSignInRouter } from './admin/console-sign-in.ts';
import { adminRouter } from './admin/router.ts';
import { setupRouter } from './admin/setup-routes.ts';
import { adminApiRouter } from './api/admin/router.ts';
import { authApiRouter } from './api/auth/router.ts';
import { logoOrigin } from './branding/branding.ts';
import type { Gatehouse } from './container.ts';
import { requestBody } from './http/body.ts';
import { clientEndpointLimit, clientLimitGate } from './http/client-endpoint-limit.ts';
import { csrfProtection } from './http/csrf.ts';
import { providerOutage } from './http/database-outage.ts';
import { refuseUncleanUrls, requestEdge } from './http/edge.ts';
import { errorHandler } from './http/error-handler.ts';
import { rateLimitedRoutes } from './http/rate-limit-routes.ts';
import { requestContext } from './http/request-context.ts';
import { noStore, pageContentSecurityPolicy, securityHeaders } from './http/security-headers.ts';
import { requestLocale } from './i18n/request-locale.ts';
import { startBreakGlass } from './interactions/break-glass.ts';
import { frontChannelLogout } from './interactions/front-channel-logout.ts';
import { interactionRouter } from './interactions/router.ts';
import { endSessionHook } from './interactions/upstream/end-session-hook.ts';
import { externalPagesRouter, upstreamBackchannelRouter } from './interactions/upstream/router.ts';
import { adapterReadScope, adapterUnitOfWork } from './oidc/adapter-unit-of-work.ts';
import { cookieKey } from './oidc/configuration.ts';
import { assetsRouter } from './operations/assets.ts';
import { healthRouter } from './operations/health.ts';
import type { Metrics } from './operations/metrics.ts';

/**
 * The Koa application: operations endpoints, Gatehouse's own pages and APIs, then oidc-provider
 * at the issuer root for everything else.
 */
export function createApp(gatehouse: Gatehouse, metrics: Metrics): Koa {
  const { settings, logger, host } = gatehouse;
  const app = new Koa();
  // Who the client is and what the request's scheme and host are is settled by requestEdge
  // (TRUSTED_PROXIES and ISSUER), not by Koa's all-or-nothing proxy switch.
  app.proxy = false;
  // oidc-provider runs inside this app, so its signed cookies are signed with this app's keys;
  // they must be the provider's own cookie keys or it cannot read back what it set.
  app.keys = [cookieKey(settings.secretKey)];
  // Errors are logged where they are handled; Koa's default handler would print stack traces.
  app.silent = true;

  app.use(requestContext(logger, gatehouse.availability));
  app.use(requestEdge({ issuer: settings.issuer, trustedProxies: settings.trustedProxies }));
  app.use(requestLocale());
  app.use(metrics.middleware);
  app.use(securityHeaders());
  app.use(refuseUncleanUrls);

  // With a management port, /metrics lives there only (operations/management.ts).
  const operations = settings.managementPort === undefined ? [metrics.router] : [];
  for (const router of [healthRouter(gatehouse.db), ...operations, assetsRouter(settings.branding)])
    mount(app, router);
  app.use(readScopeFor('/interaction/'));

  const csrf = csrfProtection({ secure: settings.issuer.startsWith('https://') });
  const guards: Guards = {
    body: requestBody(),
    csrf: csrf.verify,
  };
  app.use(rateLimitedRoutes(gatehouse.rateLimits, gatehouse.views, gatehouse.availability));
  mount(app, pagesRouter(gatehouse, guards, csrf.issue));
  mount(app, apiRouter(gatehouse, guards, csrf.issue));
  mount(app, upstreamBackchannelRouter(gatehouse, guards.body));

  app.use(frontChannelLogout({ host, views: gatehouse.views, issuer: settings.issuer }));
  app.use(endSessionHook({ host, sessions: gatehouse.sessions }));
  app.use(clientEndpointLimit(gatehouse.rateLimits));
  app.use(providerOutage(gatehouse.views, gatehouse.availability));
  app.use(adapterUnitOfWork(gatehouse.db, settings.refreshTokenReuseSeconds, clientLimitGate));
  app.use(host.middleware());
  return app;
}

/** The sign-in steps read the same interaction several times per request; remember it once. */
function readScopeFor(prefix: string): Middleware {
  const scope = adapterReadScope();
  return (ctx, next) => (ctx.path.startsWith(prefix) ? scope(ctx, next) : next());
}

interface Guards {
  body: Middleware;
  csrf: Middleware;
}

function mount(app: Koa, router: Router): void {
  app.use(router.routes()).use(router.allowedMethods());
}

/** People's pages: HTML errors, the strict content security policy, a CSRF token for every form. */
function pagesRouter(gatehouse: Gatehouse, guards: Guards, issueCsrf: Middleware): Router {
  const { host, views } = gatehouse;
  const pages = new Router();
  pages.use(
    errorHandler(views, gatehouse.availability),
    pageContentSecurityPolicy(logoOrigin(gatehouse.settings.branding)),
    issueCsrf,
  );
  const interactionDeps = {
    host,
    views,
    signInManager: gatehouse.signInManager,
    signIn: gatehouse.signIn,
    twoFactor: gatehouse.twoFactor,
    external: gatehouse.external,
    consents: gatehouse.consents,
    notifications: gatehouse.notifications,
    breakGlassGroup: gatehouse.settings.breakGlassGroup,
  };
  pages.get('/break-glass', startBreakGlass(interactionDeps));
  for (const router of [
    interactionRouter(interactionDeps, guards),
    setupRouter({ setup: gatehouse.setup, views }, guards),
    accountRouter(gatehouse, guards),
    externalPagesRouter(gatehouse, guards),
    twoFactorAccountRouter(gatehouse, guards),
    consoleSignInRouter(gatehouse),
    adminRouter(gatehouse, guards),
  ]) {
    pages.use(router.routes(), router.allowedMethods());
  }
  return pages;
}

/** The JSON APIs: JSON errors, never cached, the XSRF cookie for JavaScript callers. */
function apiRouter(gatehouse: Gatehouse, guards: Guards, issueCsrf: Middleware): Router {
  const api = new Router();
  api.use(errorHandler(gatehouse.views, gatehouse.availability), noStore(), issueCsrf);
  for (const router of [authApiRouter(gatehouse, guards), adminApiRouter(gatehouse, guards)]) {
    api.use(router.routes(), router.allowedMethods());
  }
  return api;
}
