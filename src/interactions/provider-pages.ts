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

/**
 * One-click sign-out, as Keycloak: the application sent an id_token_hint (oidc-provider has checked
 * its signature and audience before this page is drawn) for the person signed in here, in this
 * session. Anyone else's or an older session's token still gets the question.
 */
function hintNamesThisSession(ctx: KoaContextWithOIDC): boolean {
  const hint = ctx.oidc.entities.IdTokenHint as { payload?: { sub?: unknown; sid?: unknown } } | undefined;
  const clientId = ctx.oidc.client?.clientId;
  const { session } = ctx.oidc;
  if (!hint?.payload || !clientId || !session?.accountId) return false;
  if (hint.payload.sub !== session.accountId) return false;
  const sid = session.authorizations?.[clientId]?.sid;
  return hint.payload.sid === undefined || hint.payload.sid === sid;
}

/** oidc-provider's logout form, taken apart so the page can post it itself. */
function logoutFields(form: string): { action: string; xsrf: string } {
  return {
    action: /action="([^"]+)"/.exec(form)?.[1] ?? '/session/end/confirm',
    xsrf: /name="xsrf" value="([^"]+)"/.exec(form)?.[1] ?? '',
  };
}

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
export function providerPages(views: Views, options: { logoutAlwaysConfirm: boolean }): ProviderPages {
  return {
    logout: {
      logoutSource: async (ctx, form) =>
        !options.logoutAlwaysConfirm && hintNamesThisSession(ctx)
          ? render(ctx, views, 'interactions/logout-auto.njk', {
              ...logoutFields(form),
              client: clientName(ctx),
            })
          : render(ctx, views, 'interactions/logout-confirm.njk', { form, client: clientName(ctx) }),
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
