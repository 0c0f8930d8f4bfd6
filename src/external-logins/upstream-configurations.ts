import * as oidc from 'openid-client';
import { AppError } from '../errors/app-error.ts';
import { causeOf, type Logger } from '../operations/logger.ts';
import type { ExternalProvider } from './external-provider.ts';
import type { TokenEndpointAuthMethod } from './provider-schema.ts';
import { chooseAuthMethod, clientAuthFor } from './upstream-client-auth.ts';
import { type CallbackChecks, UpstreamCredentialsRejected } from './upstream-protocol.ts';

const DISCOVERY_TTL_MS = 60 * 60 * 1000;
export const REQUEST_TIMEOUT_SECONDS = 5;

interface Cached {
  key: string;
  config: oidc.Configuration;
  method: TokenEndpointAuthMethod;
  fetchedAt: number;
}

/**
 * openid-client configurations for the upstream providers, shared by every request: an OpenID
 * provider's comes from discovery (once per hour), a plain OAuth2 server's from its configured
 * endpoints. An unreachable issuer becomes UpstreamUnavailable for whoever pressed its button; it
 * never affects the login page or the other providers.
 */
export class UpstreamConfigurations {
  readonly #cache = new Map<string, Cached>();
  readonly #allowInsecure: boolean;
  readonly #logger: Logger;

  constructor(options: { allowInsecure: boolean; logger: Logger }) {
    this.#allowInsecure = options.allowInsecure;
    this.#logger = options.logger;
  }

  async get(provider: ExternalProvider): Promise<oidc.Configuration> {
    return (await this.#entry(provider)).config;
  }

  /** The token endpoint auth method in use (the admin's, or the one chosen from metadata). */
  async method(provider: ExternalProvider): Promise<TokenEndpointAuthMethod> {
    return (await this.#entry(provider)).method;
  }

  async #entry(provider: ExternalProvider): Promise<Cached> {
    const key = JSON.stringify([
      provider.kind,
      provider.issuer,
      provider.clientId,
      provider.clientSecret,
      provider.clientPrivateKey,
      provider.options.tokenEndpointAuthMethod,
      provider.options.oauth2,
    ]);
    const cached = this.#cache.get(provider.alias);
    if (cached?.key === key && Date.now() - cached.fetchedAt < DISCOVERY_TTL_MS) return cached;
    const metadata = await this.#metadata(provider);
    const method = chooseAuthMethod(provider, metadata.token_endpoint_auth_methods_supported);
    const config = new oidc.Configuration(
      metadata,
      provider.clientId,
      provider.clientSecret ? { client_secret: provider.clientSecret } : {},
      await clientAuthFor(provider, method),
    );
    config.timeout = REQUEST_TIMEOUT_SECONDS;
    if (this.#insecure(provider)) oidc.allowInsecureRequests(config);
    const entry = { key, config, method, fetchedAt: Date.now() };
    this.#cache.set(provider.alias, entry);
    return entry;
  }

  async #metadata(provider: ExternalProvider): Promise<oidc.ServerMetadata> {
    const oauth2 = provider.options.oauth2;
    if (provider.kind === 'oauth2' && oauth2) {
      return {
        issuer: provider.issuer,
        authorization_endpoint: oauth2.authorizationEndpoint,
        token_endpoint: oauth2.tokenEndpoint,
      };
    }
    try {
      const discovered = await oidc.discovery(
        new URL(provider.issuer),
        provider.clientId,
        undefined,
        undefined,
        {
          timeout: REQUEST_TIMEOUT_SECONDS,
          ...(this.#insecure(provider) ? { execute: [oidc.allowInsecureRequests] } : {}),
        },
      );
      return discovered.serverMetadata();
    } catch (err) {
      this.#logger.warn(
        { err: String(err), cause: causeOf(err), alias: provider.alias, issuer: provider.issuer },
        'upstream discovery failed',
      );
      throw AppError.keyed('upstream_unavailable', 'external.unavailable', {
        provider: provider.displayName,
      });
    }
  }

  #insecure(provider: ExternalProvider): boolean {
    return this.#allowInsecure && provider.issuer.startsWith('http://');
  }

  /**
   * The callback's code for tokens, checked against the round trip's PKCE verifier and state, and
   * for OpenID Connect (`idTokenExpected`) the ID token against its nonce. The configuration comes
   * back too, for the userinfo request that follows.
   */
  async exchangeCode(
    provider: ExternalProvider,
    callbackUrl: URL,
    checks: CallbackChecks,
    idTokenExpected: boolean,
  ): Promise<{
    config: oidc.Configuration;
    tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
  }> {
    const config = await this.get(provider);
    const tokens = await oidc
      .authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        ...(idTokenExpected ? { expectedNonce: checks.nonce } : {}),
        idTokenExpected,
      })
      .catch((error: unknown) => this.reportTokenError(provider, error));
    return { config, tokens };
  }

  /**
   * A token-endpoint failure: `invalid_client` means Gatehouse's own credentials (or the auth
   * method) are wrong, which the log says in those words for the admin; anything else is rethrown.
   */
  async reportTokenError(provider: ExternalProvider, error: unknown): Promise<never> {
    if (isInvalidClient(error)) {
      const method = await this.method(provider).catch(() => undefined);
      this.#logger.error(
        { alias: provider.alias, tokenEndpointAuthMethod: method, error: 'invalid_client' },
        `upstream ${provider.alias} refused Gatehouse's client credentials (invalid_client): check the client id, the client secret or key, and the token endpoint auth method`,
      );
      throw new UpstreamCredentialsRejected(
        `${provider.displayName} refused Gatehouse's client credentials (invalid_client).`,
      );
    }
    throw error;
  }
}

/** At the token endpoint a 401 (with or without a body) always means client authentication failed. */
export function isInvalidClient(error: unknown): boolean {
  if (error instanceof oidc.ResponseBodyError)
    return error.error === 'invalid_client' || error.status === 401;
  return error instanceof oidc.WWWAuthenticateChallengeError && error.status === 401;
}

export function isInvalidGrant(error: unknown): boolean {
  return error instanceof oidc.ResponseBodyError && error.error === 'invalid_grant';
}
