import type { Context } from 'koa';
import { z } from 'zod';
import type { ExternalLogins } from '../../external-logins/external-logins.ts';
import { InvalidLogoutToken, type UpstreamLogout } from '../../external-logins/upstream-logout.ts';

const body = z.object({ logout_token: z.string().min(1).max(16_384) });

/** POST /external/:alias/backchannel-logout — answers 200, or 400 with `invalid_request` (spec §2.8). */
export function backchannelLogoutReceiver(deps: {
  external: ExternalLogins;
  upstreamLogout: UpstreamLogout;
}) {
  return async (ctx: Context): Promise<void> => {
    ctx.set('Cache-Control', 'no-store');
    const provider = await deps.external.registry.find(ctx.params.alias ?? '');
    const parsed = body.safeParse(ctx.request.body ?? {});
    if (!provider || !parsed.success) {
      ctx.status = 400;
      ctx.body = {
        error: 'invalid_request',
        error_description: provider ? 'logout_token is missing' : 'unknown provider',
      };
      return;
    }
    try {
      await deps.upstreamLogout.receive(provider, parsed.data.logout_token);
      ctx.status = 200;
      ctx.body = {};
    } catch (error) {
      if (!(error instanceof InvalidLogoutToken)) throw error;
      ctx.state.log?.warn({ err: error.message, alias: provider.alias }, 'upstream logout token refused');
      ctx.status = 400;
      ctx.body = { error: 'invalid_request', error_description: error.message };
    }
  };
}
