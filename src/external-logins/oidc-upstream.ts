import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { causeOf, type Logger } from '../operations/logger.ts';
import type { ExternalProvider } from './external-provider.ts';
import { isInvalidGrant, type UpstreamConfigurations } from './upstream-configurations.ts';
import {
  type AuthorizationRequest,
  type CallbackChecks,
  type EndSessionRequest,
  InvalidLogoutToken,
  type Revalidation,
  type UpstreamProtocol,
  type UpstreamTokens,
} from './upstream-protocol.ts';

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** A logout token older than this is refused. */
export const MAX_LOGOUT_TOKEN_AGE_SECONDS = 300;

/** OpenID Connect upstreams: discovery, code + PKCE + nonce, the ID token, end-session, logout tokens. */
export class OidcUpstream implements UpstreamProtocol {
  readonly #configs: UpstreamConfigurations;
  readonly #logger: Logger;
  readonly #keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  constructor(configs: UpstreamConfigurations, logger: Logger) {
    this.#configs = configs;
    this.#logger = logger;
  }

  async authorizationUrl(provider: ExternalProvider, request: AuthorizationRequest): Promise<URL> {
    return oidc.buildAuthorizationUrl(await this.#configs.get(provider), {
      redirect_uri: request.redirectUri,
      scope: provider.scopes.join(' '),
      state: request.state,
      nonce: request.nonce,
      code_challenge: request.codeChallenge,
      code_challenge_method: 'S256',
      ...(request.loginHint ? { login_hint: request.loginHint } : {}),
      ...(request.forceLogin ? { prompt: 'login' } : {}),
    });
  }

  async complete(
    provider: ExternalProvider,
    callbackUrl: URL,
    checks: CallbackChecks,
  ): Promise<UpstreamTokens> {
    const { config, tokens } = await this.#configs.exchangeCode(provider, callbackUrl, checks, true);
    const claims = tokens.claims();
    if (!claims || !tokens.id_token) throw new Error('the upstream returned no ID token');
    const userinfo = await this.#userinfo(config, tokens.access_token, claims.sub);
    return {
      idToken: tokens.id_token,
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token,
      // Some providers put email and name only in userinfo; ID token claims win where both say.
      claims: { ...userinfo, ...claims },
    };
  }

  async endSessionUrl(provider: ExternalProvider, request: EndSessionRequest): Promise<URL | undefined> {
    const config = await this.#configs.get(provider);
    if (!config.serverMetadata().end_session_endpoint) return undefined;
    return oidc.buildEndSessionUrl(config, {
      ...(request.idTokenHint ? { id_token_hint: request.idTokenHint } : {}),
      ...(request.logoutHint ? { logout_hint: request.logoutHint } : {}),
      post_logout_redirect_uri: request.postLogoutRedirectUri,
      state: request.state,
    });
  }

  async issuerOf(provider: ExternalProvider): Promise<string> {
    return (await this.#configs.get(provider)).serverMetadata().issuer;
  }

  async hasEndSession(provider: ExternalProvider): Promise<boolean> {
    return Boolean((await this.#configs.get(provider)).serverMetadata().end_session_endpoint);
  }

  async revalidate(
    provider: ExternalProvider,
    held: { refreshToken?: string | undefined },
  ): Promise<Revalidation> {
    if (!held.refreshToken) return { status: 'unknown', reason: 'no refresh token' };
    const config = await this.#configs.get(provider);
    try {
      const tokens = await oidc.refreshTokenGrant(config, held.refreshToken);
      const claims = tokens.claims();
      return {
        status: 'active',
        tokens: {
          accessToken: tokens.access_token,
          refreshToken: tokens.refresh_token ?? held.refreshToken,
          ...(tokens.id_token ? { idToken: tokens.id_token } : {}),
          ...(claims ? { claims: { ...claims } } : {}),
        },
      };
    } catch (error) {
      if (isInvalidGrant(error))
        return { status: 'refused', reason: 'the upstream refused the refresh token' };
      return { status: 'unknown', reason: String(error) };
    }
  }

  /**
   * OpenID Connect Back-Channel Logout 1.0 §2.6: signature against the upstream's JWKS, iss, aud,
   * the logout event, sid or sub, no nonce, fresh.
   */
  async verifyLogoutToken(provider: ExternalProvider, token: string): Promise<JWTPayload> {
    const metadata = (await this.#configs.get(provider)).serverMetadata();
    if (!metadata.jwks_uri) throw new InvalidLogoutToken('the upstream publishes no jwks_uri');
    let keys = this.#keySets.get(metadata.jwks_uri);
    if (!keys) {
      keys = createRemoteJWKSet(new URL(metadata.jwks_uri));
      this.#keySets.set(metadata.jwks_uri, keys);
    }
    const { payload } = await jwtVerify(token, keys, {
      issuer: metadata.issuer,
      audience: provider.clientId,
      maxTokenAge: MAX_LOGOUT_TOKEN_AGE_SECONDS,
      clockTolerance: 30,
      requiredClaims: ['iat', 'jti'],
    }).catch((err: unknown) => {
      throw new InvalidLogoutToken(`logout token rejected: ${String(err)}`);
    });
    const events = payload.events as Record<string, unknown> | undefined;
    // The event's value must be a JSON object (OpenID Back-Channel Logout §2.4); typeof null is
    // 'object' too, and `{"…backchannel-logout": null}` was once accepted.
    const event = events?.[BACKCHANNEL_EVENT];
    if (event === null || typeof event !== 'object' || Array.isArray(event))
      throw new InvalidLogoutToken('missing the back-channel logout event');
    if ('nonce' in payload) throw new InvalidLogoutToken('a logout token must not carry a nonce');
    if (typeof payload.sid !== 'string' && typeof payload.sub !== 'string')
      throw new InvalidLogoutToken('neither sid nor sub');
    return payload;
  }

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
