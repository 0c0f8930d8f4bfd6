import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from '../operations/logger.ts';

interface OidcError {
  error?: string;
  error_description?: string;
}

/** The request's own logger (it carries the request id) when there is one. */
function loggerOf(ctx: KoaContextWithOIDC, fallback: Logger): Logger {
  return (ctx.state?.log as Logger | undefined) ?? fallback;
}

/**
 * A refused authorization or token request, logged with what an operator needs to see why: the
 * client, oidc-provider's error code and description, and the redirect URI it asked for. The
 * access log alone only says "400".
 */
export function logProviderRefusals(provider: Provider, logger: Logger): void {
  provider.on('authorization.error', (ctx, err) => {
    const e = err as OidcError;
    const params = (ctx.oidc?.params ?? {}) as Record<string, unknown>;
    loggerOf(ctx, logger).warn(
      {
        clientId: ctx.oidc?.client?.clientId ?? params.client_id,
        error: e.error,
        description: e.error_description,
        redirectUri: params.redirect_uri,
      },
      'authorization refused',
    );
  });
  provider.on('grant.error', (ctx, err) => {
    const e = err as OidcError;
    loggerOf(ctx, logger).warn(
      {
        clientId: ctx.oidc?.client?.clientId,
        grantType: (ctx.oidc?.params as Record<string, unknown> | undefined)?.grant_type,
        error: e.error,
        description: e.error_description,
      },
      'token request refused',
    );
  });
}
