import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { ProviderHost } from '../oidc/provider-host.ts';
import type { Views } from '../rendering/views.ts';

interface FrontChannelTarget {
  name: string;
  url: string;
}

/**
 * OIDC Front-Channel Logout 1.0, which oidc-provider 9 no longer implements. Wraps the logout
 * confirmation (POST /session/end/confirm), outside the upstream end-session hook so it sees the
 * final destination: when the session really ended, instead of redirecting at once, the browser
 * gets a page that loads every signed-in application's `frontchannel_logout_uri` (with `iss` and
 * `sid`) in hidden iframes and then continues to where the redirect was going. Back-channel
 * logout has already been sent by then.
 */
export function frontChannelLogout(deps: { host: ProviderHost; views: Views; issuer: string }): Middleware {
  return async (ctx, next) => {
    if (ctx.method !== 'POST' || ctx.path !== '/session/end/confirm') return next();
    const provider = deps.host.provider;
    const session = await provider.Session.get(ctx);
    const targets = session.accountId ? await targetsOf(provider, session, deps.issuer) : [];
    await next();
    if (!targets.length || !isRedirect(ctx) || (await provider.Session.findByUid(session.uid))) return;
    const continueTo = ctx.response.get('Location');
    ctx.remove('Location');
    ctx.status = 200;
    ctx.type = 'html';
    ctx.body = deps.views.render('interactions/front-channel-logout.njk', {
      targets,
      applications: targets.map((t) => t.name).join(', '),
      continueTo,
    });
    const frames = [...new Set(targets.map((t) => new URL(t.url).origin))].join(' ');
    ctx.set('Content-Security-Policy', `${deps.views.pagePolicy}; frame-src ${frames}`);
  };
}

type Session = Awaited<ReturnType<Provider['Session']['get']>>;

async function targetsOf(
  provider: Provider,
  session: Session,
  issuer: string,
): Promise<FrontChannelTarget[]> {
  const targets: FrontChannelTarget[] = [];
  for (const [clientId, authorization] of Object.entries(session.authorizations ?? {})) {
    const client = await provider.Client.find(clientId).catch(() => undefined);
    const metadata = client?.metadata();
    const uri = metadata?.frontchannel_logout_uri;
    if (!client || typeof uri !== 'string') continue;
    const url = new URL(uri);
    if (metadata?.frontchannel_logout_session_required && authorization.sid) {
      url.searchParams.set('iss', issuer);
      url.searchParams.set('sid', authorization.sid);
    }
    targets.push({ name: client.clientName ?? clientId, url: url.toString() });
  }
  return targets;
}

function isRedirect(ctx: Context): boolean {
  return ctx.status === 303 || ctx.status === 302;
}
