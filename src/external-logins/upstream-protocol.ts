import type { JWTPayload } from 'jose';
import type { ExternalProvider } from './external-provider.ts';

export interface AuthorizationRequest {
  redirectUri: string;
  state: string;
  nonce: string;
  codeChallenge: string;
  loginHint?: string | undefined;
  /** Ask the upstream to authenticate again even if it has a session (`prompt=login`). */
  forceLogin?: boolean | undefined;
}

export interface CallbackChecks {
  codeVerifier: string;
  state: string;
  nonce: string;
}

/** What an upstream said at the end of a round trip. */
export interface UpstreamTokens {
  /** OIDC only: sent back as `id_token_hint` at sign-out. */
  idToken?: string | undefined;
  accessToken: string;
  refreshToken?: string | undefined;
  /** Everything known about the user: ID token and user-info claims, or the OAuth2 user-info answer. */
  claims: Record<string, unknown>;
}

export interface EndSessionRequest {
  idTokenHint?: string | undefined;
  /** Entra's `login_hint` claim: with it, Entra signs out without its account picker. */
  logoutHint?: string | undefined;
  postLogoutRedirectUri: string;
  state: string;
}

/** The outcome of asking the upstream again whether the user may still be signed in. */
export type Revalidation =
  | { status: 'active'; tokens: Partial<UpstreamTokens> }
  | { status: 'refused'; reason: string }
  /** The upstream could not be asked (down, no token to ask with): nothing changes. */
  | { status: 'unknown'; reason: string };

/**
 * One upstream protocol: OpenID Connect (discovery, ID token, end-session, logout tokens) or plain
 * OAuth2 (authorize, token and a user-info URL). Everything above this seam — round trips,
 * matching, logout — is the same for both.
 */
export interface UpstreamProtocol {
  authorizationUrl(provider: ExternalProvider, request: AuthorizationRequest): Promise<URL>;
  /** Redeems the code at the callback (`callbackUrl` carries the upstream's query). */
  complete(provider: ExternalProvider, callbackUrl: URL, checks: CallbackChecks): Promise<UpstreamTokens>;
  /** The upstream's end-session URL, or undefined when it has none. */
  endSessionUrl(provider: ExternalProvider, request: EndSessionRequest): Promise<URL | undefined>;
  /** Verifies a back-channel logout token; throws InvalidLogoutToken. */
  verifyLogoutToken(provider: ExternalProvider, token: string): Promise<JWTPayload>;
  /** Re-checks the user with the tokens held (refresh token, else access token at user-info). */
  revalidate(
    provider: ExternalProvider,
    held: { refreshToken?: string | undefined; accessToken?: string | undefined },
  ): Promise<Revalidation>;
  /** Whether the upstream can end its own session (federated logout). */
  hasEndSession(provider: ExternalProvider): Promise<boolean>;
  /** The issuer the upstream names itself by (its discovery document's, or the configured URL). */
  issuerOf(provider: ExternalProvider): Promise<string>;
}

export class InvalidLogoutToken extends Error {
  override name = 'InvalidLogoutToken';
}

/** The upstream refused Gatehouse's own client credentials (`invalid_client`): an admin must act. */
export class UpstreamCredentialsRejected extends Error {
  override name = 'UpstreamCredentialsRejected';
}

/** Picks the protocol a provider speaks. */
export class UpstreamProtocols {
  readonly #byKind: Record<ExternalProvider['kind'], UpstreamProtocol>;

  constructor(byKind: Record<ExternalProvider['kind'], UpstreamProtocol>) {
    this.#byKind = byKind;
  }

  for(provider: Pick<ExternalProvider, 'kind'>): UpstreamProtocol {
    return this.#byKind[provider.kind];
  }
}
