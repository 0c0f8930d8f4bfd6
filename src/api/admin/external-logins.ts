import type { Context } from 'koa';
import { AppError } from '../../errors/app-error.ts';
import type { AdminApiDeps } from './admin-api-deps.ts';

/**
 * GET /users/:id/external-logins: every link of the user, those of removed providers included.
 * A removed provider's links are kept and come back when its alias is added again; until then
 * they are `detached` and nobody can sign in with them.
 */
export function listExternalLogins(deps: AdminApiDeps) {
  return async (ctx: Context): Promise<void> => {
    const user = await deps.userManager.findById(String(ctx.params.id));
    if (!user) throw new AppError('not_found', 'No such user.');
    const providers = new Map((await deps.external.registry.list()).map((p) => [p.alias, p]));
    const links = await deps.external.service.allLinksOf(user.id);
    ctx.body = {
      externalLogins: links.map((link) => ({
        providerAlias: link.providerAlias,
        providerName: providers.get(link.providerAlias)?.displayName ?? null,
        subject: link.subject,
        email: link.email,
        detached: !providers.has(link.providerAlias),
        createdAt: link.createdAt.toISOString(),
        lastUsedAt: link.lastUsedAt?.toISOString() ?? null,
      })),
    };
  };
}
