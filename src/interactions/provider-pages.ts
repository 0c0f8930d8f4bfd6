import type { KoaContextWithOIDC } from 'oidc-provider';
import type { ProviderPages } from '../oidc/configuration.ts';
import type { Views } from '../rendering/views.ts';
import { devicePages } from './device-pages.ts';

/**
 * The pages oidc-provider renders itself (logout confirmation, signed out, errors), in Gatehouse's
 * look. They are ours inside oidc-provider's responses, so they carry the policy of our other
 * pages.
 */
export function render(
  ctx: KoaContextWithOIDC,
  views: Views,
  template: string,
  values: Record<string, unknown>,
): void {
  ctx.type = 'html';
  ctx.set('Content-Security-Policy', views.pagePolicy);
  ctx.body = views.render(template, values);
}

const clientName = (ctx: KoaContextWithOIDC) => ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId;

// oidc-provider's own words ("client is invalid") mean little to the person in front of the page;
// these errors get an explanation in plain words, the rest a general one. The code and the
// description stay on the page, folded away, for whoever helps them.
const EXPLAINED = new Set([
  'invalid_client',
  'invalid_redirect_uri',
  'invalid_request',
  'invalid_scope',
  'unauthorized_client',
  'unsupported_response_type',
  'access_denied',
  'login_required',
  'consent_required',
  'server_error',
]);

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
      render(ctx, views, 'errors/oidc-error.njk', {
        error: out.error,
        description: out.error_description,
        explanationKey: `oidcError.explain.${EXPLAINED.has(out.error) ? out.error : 'other'}`,
        requestId: ctx.state.requestId,
      }),
    device: devicePages(views),
  };
}
