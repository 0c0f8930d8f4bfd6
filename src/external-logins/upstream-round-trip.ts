import * as oidc from 'openid-client';
import type { Settings } from '../config/settings.ts';
import type { AuthRequest, AuthRequestPurpose, AuthRequestStore } from './auth-request-store.ts';
import type { ExternalProvider } from './external-provider.ts';
import { identityOf, type UpstreamIdentity } from './upstream-identity.ts';
import type { UpstreamProtocols, UpstreamTokens } from './upstream-protocol.ts';

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
  readonly #protocols: UpstreamProtocols;

  constructor(settings: Settings, requests: AuthRequestStore, protocols: UpstreamProtocols) {
    this.#settings = settings;
    this.#requests = requests;
    this.#protocols = protocols;
  }

  callbackUrl(alias: string): string {
    return `${this.#settings.issuer}/external/${encodeURIComponent(alias)}/callback`;
  }

  /** Returns the upstream authorization URL to send the browser to. */
  async begin(provider: ExternalProvider, start: RoundTripStart): Promise<URL> {
    const protocol = this.#protocols.for(provider);
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const request = await this.#requests.create({
      providerAlias: provider.alias,
      purpose: start.purpose,
      interactionUid: start.interactionUid ?? null,
      userId: start.userId ?? null,
      inviteToken: start.inviteToken ?? null,
      codeVerifier,
    });
    return protocol.authorizationUrl(provider, {
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
    const callback = new URL(this.callbackUrl(provider.alias));
    callback.search = query.toString();
    const tokens = await this.#protocols.for(provider).complete(provider, callback, {
      codeVerifier: request.codeVerifier,
      state: request.state,
      nonce: request.nonce,
    });
    return { request, tokens, identity: identityOf(provider, tokens.claims) };
  }

  take(state: string): Promise<AuthRequest | undefined> {
    return this.#requests.take(state);
  }
}
