import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { Gatehouse } from '../../container.ts';
import { LogoutContinuations } from '../../external-logins/logout-continuation-store.ts';
import { UpstreamLogout } from '../../external-logins/upstream-logout.ts';
import { backchannelLogoutReceiver } from './backchannel-logout.ts';
import { frontchannelLogoutReceiver } from './frontchannel-logout.ts';
import { startInvitationWithProvider, startLink } from './start-round-trips.ts';
import { upstreamCallback } from './upstream-callback.ts';
import { upstreamLogoutCallback } from './upstream-logout-callback.ts';

/** Pages of the upstream round trips: callbacks, linking, invitations, federated logout's return. */
export function externalPagesRouter(
  gatehouse: Gatehouse,
  guards: { csrf: Middleware; body: Middleware },
): Router {
  const router = new Router();
  router.get('/external/:alias/callback', upstreamCallback(gatehouse));
  router.get(
    '/logout/upstream-callback',
    upstreamLogoutCallback({
      continuations: new LogoutContinuations(gatehouse.db),
      issuer: gatehouse.settings.issuer,
    }),
  );
  router.post('/account/external/:alias/link', guards.body, guards.csrf, startLink(gatehouse));
  router.post('/invite/external/:alias', guards.body, guards.csrf, startInvitationWithProvider(gatehouse));
  return router;
}

/** Server-to-server: the upstream's back-channel logout (no cookies, no CSRF; the token is the proof). */
export function upstreamBackchannelRouter(gatehouse: Gatehouse, body: Middleware): Router {
  const upstreamLogout = new UpstreamLogout({
    external: gatehouse.external,
    sessions: gatehouse.sessions,
    host: gatehouse.host,
    tokens: gatehouse.tokens,
    logger: gatehouse.logger,
  });
  const router = new Router();
  router.post(
    '/external/:alias/backchannel-logout',
    body,
    backchannelLogoutReceiver({ external: gatehouse.external, upstreamLogout }),
  );
  router.get(
    '/external/:alias/frontchannel-logout',
    frontchannelLogoutReceiver({ external: gatehouse.external, upstreamLogout }),
  );
  return router;
}
