import * as oidc from 'openid-client';
import type { ExternalProvider } from './external-provider.ts';
import type { OAuth2Endpoints } from './provider-schema.ts';
import { isInvalidGrant, type UpstreamConfigurations } from './upstream-configurations.ts';
import {
  type AuthorizationRequest,
  type CallbackChecks,
  InvalidLogoutToken,
  type Revalidation,
  type UpstreamProtocol,
  type UpstreamTokens,
} from './upstream-protocol.ts';

interface EmailEntry {
  email?: unknown;
  primary?: unknown;
  verified?: unknown;
}

class UserInfoRefused extends Error {
  override name = 'UserInfoRefused';
}

/**
 * Plain OAuth2 upstreams (GitHub): authorize and token with PKCE and state, then a user-info URL
 * whose JSON becomes the claims. There is no ID token, no end-session and no logout token; the
 * user is re-checked by asking the user-info URL again.
 */
export class OAuth2Upstream implements UpstreamProtocol {
  readonly #configs: UpstreamConfigurations;

  constructor(configs: UpstreamConfigurations) {
    this.#configs = configs;
  }

  async authorizationUrl(provider: ExternalProvider, request: AuthorizationRequest): Promise<URL> {
    return oidc.buildAuthorizationUrl(await this.#configs.get(provider), {
      redirect_uri: request.redirectUri,
      scope: provider.scopes.join(' '),
      state: request.state,
      code_challenge: request.codeChallenge,
      code_challenge_method: 'S256',
      ...(request.loginHint ? { login: request.loginHint } : {}),
    });
  }

  async complete(
    provider: ExternalProvider,
    callbackUrl: URL,
    checks: CallbackChecks,
  ): Promise<UpstreamTokens> {
    const { config, tokens } = await this.#configs.exchangeCode(provider, callbackUrl, checks, false);
    return {
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token,
      claims: await this.#claims(provider, config, tokens.access_token),
    };
  }

  async endSessionUrl(): Promise<URL | undefined> {
    return undefined;
  }

  async issuerOf(provider: ExternalProvider): Promise<string> {
    return provider.issuer;
  }

  async hasEndSession(): Promise<boolean> {
    return false;
  }

  async verifyLogoutToken(): Promise<never> {
    throw new InvalidLogoutToken('a plain OAuth2 upstream sends no logout tokens');
  }

  /** With a refresh token (GitHub's expiring tokens) it is used; otherwise user-info is asked again. */
  async revalidate(
    provider: ExternalProvider,
    held: { refreshToken?: string | undefined; accessToken?: string | undefined },
  ): Promise<Revalidation> {
    const config = await this.#configs.get(provider);
    let accessToken = held.accessToken;
    let refreshToken = held.refreshToken;
    try {
      if (refreshToken) {
        const tokens = await oidc.refreshTokenGrant(config, refreshToken);
        accessToken = tokens.access_token;
        refreshToken = tokens.refresh_token ?? refreshToken;
      }
      if (!accessToken) return { status: 'unknown', reason: 'no token to ask with' };
      const claims = await this.#claims(provider, config, accessToken);
      return { status: 'active', tokens: { accessToken, refreshToken, claims } };
    } catch (error) {
      if (isInvalidGrant(error) || error instanceof UserInfoRefused)
        return { status: 'refused', reason: String((error as Error).message) };
      return { status: 'unknown', reason: String(error) };
    }
  }

  async #claims(
    provider: ExternalProvider,
    config: oidc.Configuration,
    accessToken: string,
  ): Promise<Record<string, unknown>> {
    const endpoints = provider.options.oauth2 as OAuth2Endpoints;
    const user = await this.#json(config, accessToken, endpoints.userinfoEndpoint);
    if (!user || typeof user !== 'object' || Array.isArray(user))
      throw new Error('user-info answered no object');
    const fields = user as Record<string, unknown>;
    const subject = fields[endpoints.subjectClaim];
    if (typeof subject !== 'string' && typeof subject !== 'number')
      throw new Error(`user-info has no ${endpoints.subjectClaim}`);
    const name = fields[endpoints.nameClaim] ?? fields.login;
    const email = endpoints.emailsEndpoint
      ? primaryEmail(await this.#json(config, accessToken, endpoints.emailsEndpoint))
      : undefined;
    return {
      ...fields,
      sub: String(subject),
      ...(typeof name === 'string' ? { name } : {}),
      // The listed primary address replaces the profile's public one, which nobody verified.
      ...(email ? { email: email.address, email_verified: email.verified } : {}),
    };
  }

  async #json(config: oidc.Configuration, accessToken: string, url: string): Promise<unknown> {
    const headers = new Headers({ accept: 'application/json' });
    const response = await oidc
      .fetchProtectedResource(config, accessToken, new URL(url), 'GET', undefined, headers)
      .catch((error: unknown) => {
        // A 401 that carries WWW-Authenticate arrives as an error rather than a response.
        if (error instanceof oidc.WWWAuthenticateChallengeError)
          throw new UserInfoRefused(`the upstream answered ${error.status} at ${new URL(url).pathname}`);
        throw error;
      });
    if (response.status === 401 || response.status === 403)
      throw new UserInfoRefused(`the upstream answered ${response.status} at ${new URL(url).pathname}`);
    if (!response.ok) throw new Error(`the upstream answered ${response.status} at ${new URL(url).pathname}`);
    return response.json();
  }
}

/** GitHub's /user/emails: the primary address, and whether GitHub verified it. */
function primaryEmail(list: unknown): { address: string; verified: boolean } | undefined {
  if (!Array.isArray(list)) return undefined;
  const primary = (list as EmailEntry[]).find((e) => e.primary === true && typeof e.email === 'string');
  return primary ? { address: primary.email as string, verified: primary.verified === true } : undefined;
}
