import type { Context } from 'koa';
import { z } from 'zod';
import { actorOf } from '../../http/actor.ts';
import { requireRecentSignIn, requireSignedIn } from '../../http/current-session.ts';
import { parseBody } from '../../http/validation.ts';
import type { AuthApiDeps } from './auth-api-deps.ts';

/** Umbraco's UnLinkLoginModel: the provider's alias and the upstream subject of the link. */
export const unlinkLoginBody = z.object({
  loginProvider: z.string().trim().min(1, 'Say which provider to unlink.').max(64),
  providerKey: z.string().min(1, 'Say which login to unlink.').max(255),
});

/**
 * POST /api/auth/unlink-login (Umbraco's PostUnLinkLogin): the signed-in user removes one of their
 * links. The service refuses with 400 when the provider does not allow manual linking or when the
 * link is the last way left to sign in.
 */
export function unlinkLogin(deps: AuthApiDeps) {
  return async (ctx: Context): Promise<void> => {
    const signedIn = await requireSignedIn(ctx, deps);
    requireRecentSignIn(signedIn, deps.settings.privilegedSessionMaxAgeSeconds);
    const { user } = signedIn;
    const input = parseBody(ctx, unlinkLoginBody);
    const service = deps.external.service;
    await service.unlink(user, input.loginProvider, input.providerKey, actorOf(ctx, user.id));
    ctx.body = {
      message: 'The login is unlinked.',
      linkedLogins: (await service.linksOf(user)).map((l) => ({
        loginProvider: l.providerAlias,
        providerKey: l.subject,
      })),
    };
  };
}
