import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { PAGE_CONTENT_SECURITY_POLICY } from '../http/security-headers.ts';
import type { Views } from '../http/views.ts';

type RpInitiatedLogout = NonNullable<NonNullable<Configuration['features']>['rpInitiatedLogout']>;

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

export function logoutPages(
  views: Views,
): Pick<RpInitiatedLogout, 'logoutSource' | 'postLogoutSuccessSource'> {
  return {
    logoutSource: async (ctx, form) =>
      render(ctx, views, 'interactions/logout-confirm.njk', { form, client: clientName(ctx) }),
    postLogoutSuccessSource: async (ctx) =>
      render(ctx, views, 'interactions/logged-out.njk', { client: clientName(ctx) }),
  };
}

export function errorPage(views: Views): NonNullable<Configuration['renderError']> {
  return async (ctx, out) =>
    render(ctx, views, 'errors/oidc-error.njk', { error: out.error, description: out.error_description });
}
