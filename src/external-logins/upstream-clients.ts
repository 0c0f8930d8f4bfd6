import * as oidc from 'openid-client';
import { AppError } from '../errors/app-error.ts';
import { causeOf, type Logger } from '../operations/logger.ts';
import type { ExternalProvider } from './external-provider.ts';

const DISCOVERY_TTL_MS = 60 * 60 * 1000;
const REQUEST_TIMEOUT_SECONDS = 5;

interface Cached {
  key: string;
  config: oidc.Configuration;
  fetchedAt: number;
}

export interface UpstreamTokens {
  idToken: string;
  refreshToken: string | undefined;
  claims: oidc.IDToken;
}

/**
 * openid-client configurations for the upstream providers: discovery once per hour per provider,
 * shared by every request. An unreachable issuer becomes a clear 502 for whoever pressed its
 * button; it never affects the login page or the other providers.
 */
export class UpstreamClients {
  readonly #cache = new Map<string, Cached>();
  readonly #allowInsecure: boolean;
  readonly #logger: Logger;

  constructor(options: { allowInsecure: boolean; logger: Logger }) {
    this.#allowInsecure = options.allowInsecure;
    this.#logger = options.logger;
  }

  async configuration(provider: ExternalProvider): Promise<oidc.Configuration> {
    const key = [
      provider.issuer,
      provider.clientId,
      provider.clientSecret,
      provider.options.tokenEndpointAuthMethod,
    ].join('\n');
    const cached = this.#cache.get(provider.alias);
    if (cached?.key === key && Date.now() - cached.fetchedAt < DISCOVERY_TTL_MS) return cached.config;
    try {
      const config = await oidc.discovery(
        new URL(provider.issuer),
        provider.clientId,
        undefined,
        clientAuth(provider),
        {
          timeout: REQUEST_TIMEOUT_SECONDS,
          ...(this.#allowInsecure && provider.issuer.startsWith('http://')
            ? { execute: [oidc.allowInsecureRequests] }
            : {}),
        },
      );
      config.timeout = REQUEST_TIMEOUT_SECONDS;
      this.#cache.set(provider.alias, { key, config, fetchedAt: Date.now() });
      return config;
    } catch (err) {
      this.#logger.warn(
        { err: String(err), cause: causeOf(err), alias: provider.alias, issuer: provider.issuer },
        'upstream discovery failed',
      );
      throw new AppError(
        'upstream_unavailable',
        `Signing in with ${provider.displayName} is not available right now. Try again later, or sign in another way.`,
      );
    }
  }

  authorizationUrl(
    config: oidc.Configuration,
    provider: ExternalProvider,
    params: {
      redirectUri: string;
      state: string;
      nonce: string;
      codeChallenge: string;
      loginHint?: string | undefined;
      forceLogin?: boolean | undefined;
    },
  ): URL {
    return oidc.buildAuthorizationUrl(config, {
      redirect_uri: params.redirectUri,
      scope: provider.scopes.join(' '),
      state: params.state,
      nonce: params.nonce,
      code_challenge: params.codeChallenge,
      code_challenge_method: 'S256',
      ...(params.loginHint ? { login_hint: params.loginHint } : {}),
      ...(params.forceLogin ? { prompt: 'login' } : {}),
    });
  }

  /** Redeems the code (PKCE, state and nonce checked by openid-client) and returns the ID token's claims. */
  async exchange(
    config: oidc.Configuration,
    callbackUrl: URL,
    checks: { codeVerifier: string; state: string; nonce: string },
  ): Promise<UpstreamTokens> {
    const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: checks.codeVerifier,
      expectedState: checks.state,
      expectedNonce: checks.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    if (!claims || !tokens.id_token) throw new Error('the upstream returned no ID token');
    const userinfo = await this.#userinfo(config, tokens.access_token, claims.sub);
    return {
      idToken: tokens.id_token,
      refreshToken: tokens.refresh_token,
      claims: { ...userinfo, ...claims } as oidc.IDToken,
    };
  }

  /** The upstream's end-session URL, or undefined when it has none. */
  endSessionUrl(
    config: oidc.Configuration,
    params: { idTokenHint: string; postLogoutRedirectUri: string; state: string },
  ): URL | undefined {
    if (!config.serverMetadata().end_session_endpoint) return undefined;
    return oidc.buildEndSessionUrl(config, {
      id_token_hint: params.idTokenHint,
      post_logout_redirect_uri: params.postLogoutRedirectUri,
      state: params.state,
    });
  }

  /** Some providers put email and name only in userinfo; ID token claims win where both say. */
  async #userinfo(
    config: oidc.Configuration,
    accessToken: string,
    sub: string,
  ): Promise<Record<string, unknown>> {
    if (!config.serverMetadata().userinfo_endpoint) return {};
    try {
      return await oidc.fetchUserInfo(config, accessToken, sub);
    } catch (err) {
      this.#logger.warn(
        { err: String(err), cause: causeOf(err) },
        'upstream userinfo failed; using the ID token alone',
      );
      return {};
    }
  }
}

function clientAuth(provider: ExternalProvider): oidc.ClientAuth {
  return provider.options.tokenEndpointAuthMethod === 'client_secret_post'
    ? oidc.ClientSecretPost(provider.clientSecret)
    : oidc.ClientSecretBasic(provider.clientSecret);
}
