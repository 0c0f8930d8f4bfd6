/**
 * Lifetimes, in seconds. Each is set explicitly: the defaults are oidc-provider's examples and it
 * says so at start-up when they are used.
 */
export const TTL = {
  /** Opaque access tokens for users; short because userinfo and APIs trust them without a session check. */
  AccessToken: 3600,
  /** An authorization code is redeemed within seconds by a working client. */
  AuthorizationCode: 60,
  /** Machine tokens from client_credentials. */
  ClientCredentials: 600,
  /** ID tokens; also how long a retired signing key stays published (plus clock tolerance). */
  IdToken: 3600,
  /** A sign-in page left open for an hour has to start again. */
  Interaction: 3600,
  /** Browser sessions at Gatehouse: two weeks, as Keycloak's "remember me" default. */
  Session: 14 * 24 * 3600,
  /** Refresh tokens and the grants behind them: two weeks, rotated on each use. */
  RefreshToken: 14 * 24 * 3600,
  Grant: 14 * 24 * 3600,
  /** A user has ten minutes to type the code a device shows (RFC 8628 suggests 15 at most). */
  DeviceCode: 600,
  /** Not enabled, set so that enabling it later is a deliberate choice. */
  BackchannelAuthenticationRequest: 600,
} as const;
