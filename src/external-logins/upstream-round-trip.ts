import * as oidc from 'openid-client';
import type { Settings } from '../config/settings.ts';
import type { AuthRequest, AuthRequestPurpose, AuthRequestStore } from './auth-request-store.ts';
import type { UpstreamIdentity } from './external-login-service.ts';
import type { ExternalProvider } from './external-provider.ts';
import type { UpstreamClients, UpstreamTokens } from './upstream-clients.ts';

export interface RoundTripStart {
  providerAlias: string;
  purpose: AuthRequestPurpose;
  interactionUid?: string | undefined;
  userId?: string | undefined;
  inviteToken?: string | undefined;
  loginHint?: string | undefined;
  /** Ask the upstream to authenticate again even if it has a session (`prompt=login`). */
  forceLogin?: boolean | undefined;
}

export interface CompletedRoundTrip {
  request: AuthRequest;
  tokens: UpstreamTokens;
  identity: UpstreamIdentity;
}

/**
 * One trip to an upstream provider and back, for every purpose (sign-in, linking, invitation):
 * PKCE S256, a single-use state and a nonce; the callback URL is fixed per provider,
 * `/external/:alias/callback`, as registered at the upstream.
 */
export class UpstreamRoundTrip {
  readonly #settings: Settings;
  readonly #requests: AuthRequestStore;
  readonly #clients: UpstreamClients;

  constructor(settings: Settings, requests: AuthRequestStore, clients: UpstreamClients) {
    this.#settings = settings;
    this.#requests = requests;
    this.#clients = clients;
  }

  callbackUrl(alias: string): string {
    return `${this.#settings.issuer}/external/${encodeURIComponent(alias)}/callback`;
  }

  /** Returns the upstream authorization URL to send the browser to. */
  async begin(provider: ExternalProvider, start: RoundTripStart): Promise<URL> {
    const config = await this.#clients.configuration(provider);
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const request = await this.#requests.create({
      providerAlias: provider.alias,
      purpose: start.purpose,
      interactionUid: start.interactionUid ?? null,
      userId: start.userId ?? null,
      inviteToken: start.inviteToken ?? null,
      codeVerifier,
    });
    return this.#clients.authorizationUrl(config, provider, {
      redirectUri: this.callbackUrl(provider.alias),
      state: request.state,
      nonce: request.nonce,
      codeChallenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      loginHint: start.loginHint,
      forceLogin: start.forceLogin,
    });
  }

  peek(state: string): Promise<AuthRequest | undefined> {
    return this.#requests.peek(state);
  }

  /**
   * Completes the trip: the state is used up whatever happens next, then the code is redeemed.
   * `query` is the callback's query string as the upstream sent it.
   */
  async complete(
    provider: ExternalProvider,
    request: AuthRequest,
    query: URLSearchParams,
  ): Promise<CompletedRoundTrip> {
    const config = await this.#clients.configuration(provider);
    const callback = new URL(this.callbackUrl(provider.alias));
    callback.search = query.toString();
    const tokens = await this.#clients.exchange(config, callback, {
      codeVerifier: request.codeVerifier,
      state: request.state,
      nonce: request.nonce,
    });
    return { request, tokens, identity: identityOf(tokens.claims) };
  }

  take(state: string): Promise<AuthRequest | undefined> {
    return this.#requests.take(state);
  }
}

function identityOf(claims: Record<string, unknown>): UpstreamIdentity {
  const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  const name =
    text(claims.name) ??
    ([text(claims.given_name), text(claims.family_name)].filter(Boolean).join(' ') || undefined);
  return {
    sub: String(claims.sub),
    email: text(claims.email),
    emailVerified: claims.email_verified === true || claims.email_verified === 'true',
    name,
    claims,
  };
}
