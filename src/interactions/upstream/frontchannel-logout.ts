import type { Context } from 'koa';
import type { ExternalLogins } from '../../external-logins/external-logins.ts';
import { InvalidLogoutToken, type UpstreamLogout } from '../../external-logins/upstream-logout.ts';

/**
 * GET /external/:alias/frontchannel-logout?iss=…&sid=… — loaded by the upstream in a hidden frame
 * after its sign-out. Answers an empty page that must not be cached; 400 when iss or sid is
 * missing or wrong.
 */
export function frontchannelLogoutReceiver(deps: {
  external: ExternalLogins;
  upstreamLogout: UpstreamLogout;
}) {
  return async (ctx: Context): Promise<void> => {
    ctx.set('Cache-Control', 'no-store');
    const provider = await deps.external.registry.find(ctx.params.alias ?? '');
    const param = (name: string) =>
      typeof ctx.query[name] === 'string' ? (ctx.query[name] as string) : undefined;
    ctx.type = 'html';
    if (!provider) {
      ctx.status = 400;
      ctx.body = '<!doctype html><title>Unknown provider</title>';
      return;
    }
    // The upstream's sign-out page frames this one: only it may (Gatehouse's pages are never framed).
    ctx.remove('X-Frame-Options');
    ctx.set(
      'Content-Security-Policy',
      `default-src 'none'; frame-ancestors ${new URL(provider.issuer).origin}`,
    );
    try {
      await deps.upstreamLogout.receiveFrontChannel(provider, { iss: param('iss'), sid: param('sid') });
      ctx.status = 200;
      ctx.body = '<!doctype html><title>Signed out</title>';
    } catch (error) {
      if (!(error instanceof InvalidLogoutToken)) throw error;
      ctx.state.log?.warn(
        { err: error.message, alias: provider.alias },
        'upstream front-channel logout refused',
      );
      ctx.status = 400;
      ctx.body = '<!doctype html><title>Not signed out</title>';
    }
  };
}
