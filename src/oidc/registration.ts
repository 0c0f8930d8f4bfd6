import type Provider from 'oidc-provider';
import { type ClientMetadata, type Configuration, errors, type KoaContextWithOIDC } from 'oidc-provider';
import { redirectUrisProblem } from './redirect-uris.ts';

/** The policy every initial access token carries, and the registration access tokens after it. */
export const REGISTRATION_POLICY = 'gatehouse';

/** How long an initial access token from `gatehouse client registration-token` lasts by default. */
export const INITIAL_ACCESS_TOKEN_TTL = 24 * 3600;

type Features = NonNullable<Configuration['features']>;

/**
 * Dynamic client registration (RFC 7591) and its management (RFC 7592): off unless
 * DYNAMIC_CLIENT_REGISTRATION is set, and then only with an initial access token an administrator
 * issued. A self-registered application is an ordinary third-party one: it cannot skip consent,
 * skip PKCE or ask for the admin API's scope.
 */
export function registrationFeatures(
  enabled: boolean,
): Pick<Features, 'registration' | 'registrationManagement'> {
  if (!enabled) return { registration: { enabled: false }, registrationManagement: { enabled: false } };
  return {
    registration: {
      enabled: true,
      initialAccessToken: true,
      policies: { [REGISTRATION_POLICY]: selfRegistered },
    },
    registrationManagement: { enabled: true, rotateRegistrationAccessToken: true },
  };
}

function selfRegistered(_ctx: KoaContextWithOIDC, metadata: Record<string, unknown>): void {
  // A token nobody can revoke is the administrator's trade-off to make, not the application's.
  for (const reserved of ['skip_consent', 'require_pkce', 'access_token_format']) {
    if (reserved in metadata) {
      throw new errors.InvalidClientMetadata(`${reserved} is set by an administrator, not at registration`);
    }
  }
  // The same rule as `gatehouse client create` and the admin API: no wildcard, no URI without a browser grant.
  const redirectProblem = redirectUrisProblem(metadata as ClientMetadata);
  if (redirectProblem) throw new errors.InvalidClientMetadata(redirectProblem.message);
  const scopes = typeof metadata.scope === 'string' ? metadata.scope.split(' ') : [];
  // Without a scope list a client may ask for any scope, the admin one included: name them.
  if (scopes.length === 0) metadata.scope = 'openid offline_access profile email groups';
  if (scopes.some((s) => s.startsWith('gatehouse:'))) {
    throw new errors.InvalidClientMetadata('the gatehouse: scopes are not available to registered clients');
  }
}

/** An initial access token for one application to register itself; the value is shown once. */
export async function issueInitialAccessToken(provider: Provider, expiresIn: number): Promise<string> {
  const { InitialAccessToken } = provider as Provider & {
    InitialAccessToken?: new (init: { expiresIn: number; policies: string[] }) => { save(): Promise<string> };
  };
  if (!InitialAccessToken) {
    throw new Error('dynamic client registration is off');
  }
  return new InitialAccessToken({ expiresIn, policies: [REGISTRATION_POLICY] }).save();
}
