import type { KoaContextWithOIDC } from 'oidc-provider';
import { PAGE_CONTENT_SECURITY_POLICY } from '../http/security-headers.ts';
import type { ProviderPages } from '../oidc/configuration.ts';
import type { Views } from '../rendering/views.ts';

/**
 * The pages oidc-provider renders itself (logout confirmation, signed out, errors), in Gatehouse's
 * look. They are ours inside oidc-provider's responses, so they carry the policy of our other
 * pages: none of them has a script.
 */
function render(
  ctx: KoaContextWithOIDC,
  views: Views,
  template: string,
  values: Record<string, unknown>,
): void {
  ctx.type = 'html';
  ctx.set('Content-Security-Policy', PAGE_CONTENT_SECURITY_POLICY);
  ctx.body = views.render(template, values);
}

const clientName = (ctx: KoaContextWithOIDC) => ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId;

/** Gatehouse's look for the logout confirmation, the signed-out page and oidc-provider's errors. */
export function providerPages(views: Views): ProviderPages {
  return {
    logout: {
      logoutSource: async (ctx, form) =>
        render(ctx, views, 'interactions/logout-confirm.njk', { form, client: clientName(ctx) }),
      postLogoutSuccessSource: async (ctx) =>
        render(ctx, views, 'interactions/logged-out.njk', { client: clientName(ctx) }),
    },
    error: async (ctx, out) =>
      render(ctx, views, 'errors/oidc-error.njk', { error: out.error, description: out.error_description }),
  };
}
