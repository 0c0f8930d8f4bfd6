import {
  type Adapter,
  type AdapterFactory,
  type ClientMetadata,
  type Configuration,
  errors,
  type FindAccount,
  type JWKS,
} from 'oidc-provider';
import type { Settings } from '../config/settings.ts';
import { deriveKey } from '../crypto/secret-box.ts';
import { containsUnstorableText } from '../db/unstorable-text.ts';
import { LOCALES } from '../i18n/i18n.ts';
import { resourceIndicators } from './access-tokens.ts';
import { SCOPE_CLAIMS } from './accounts.ts';
import { ACR } from './acr.ts';
import { extraClientMetadata } from './client-metadata.ts';
import { pkceRequired, SIGNING_ALGS } from './client-settings.ts';
import type { ConsentStore } from './consent-store.ts';
import { createLoadExistingGrant } from './first-party-grants.ts';
import { buildInteractionPolicy } from './interaction-policy.ts';
import { createProviderFetch } from './private-network-guard.ts';
import { registrationFeatures } from './registration.ts';
import { ALL_SCOPES } from './scopes.ts';
import { TTL } from './ttl.ts';

type Features = NonNullable<Configuration['features']>;
type RpInitiatedLogout = NonNullable<Features['rpInitiatedLogout']>;
type DeviceFlow = NonNullable<Features['deviceFlow']>;

/** The pages oidc-provider renders itself, drawn by the edge (interactions/provider-pages.ts). */
export interface ProviderPages {
  logout: Pick<RpInitiatedLogout, 'logoutSource' | 'postLogoutSuccessSource'>;
  error: NonNullable<Configuration['renderError']>;
  device: Pick<DeviceFlow, 'userCodeInputSource' | 'userCodeConfirmSource' | 'successSource'>;
}

/**
 * ID tokens are signed with ES256 unless a client registers `id_token_signed_response_alg: RS256`
 * (still published and offered): an ES256 signature costs a fraction of an RSA-2048 one, on every
 * sign-in and refresh, and every current OIDC library verifies it.
 */
export const CLIENT_DEFAULTS: ClientMetadata = {
  client_id: '',
  grant_types: ['authorization_code'],
  id_token_signed_response_alg: 'ES256',
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
};

export interface ProviderConfigurationDeps {
  settings: Settings;
  pages: ProviderPages;
  jwks: JWKS;
  adapter: AdapterFactory;
  findAccount: FindAccount;
  consents: ConsentStore;
}

/** Cookie signing key, the same on every node because it derives from SECRET_KEY. */
export function cookieKey(secretKey: string): string {
  return deriveKey(secretKey, 'cookies').toString('base64url');
}

export function cookieNames(issuer: string) {
  const secure = issuer.startsWith('https://');
  return {
    // __Host- needs Path=/, which only the session cookie has; interaction cookies are path-scoped.
    session: secure ? '__Host-gh_session' : 'gh_session',
    interaction: secure ? '__Secure-gh_interaction' : 'gh_interaction',
    resume: secure ? '__Secure-gh_interaction_resume' : 'gh_interaction_resume',
  };
}

export function buildProviderConfiguration(deps: ProviderConfigurationDeps): Configuration {
  const { settings, pages } = deps;
  return {
    adapter: refusingUnstorableText(deps.adapter),
    findAccount: deps.findAccount,
    jwks: deps.jwks,
    /** Claims released per scope; `groups` is Gatehouse's own scope. */
    // acr, amr and auth_time ride on the openid scope so every ID token says how the user signed in.
    claims: {
      acr: null,
      amr: null,
      auth_time: null,
      iss: null,
      sid: null,
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      ...mutable(SCOPE_CLAIMS),
    },
    /** As Keycloak: the ID token carries the profile, email and groups claims the scopes allow. */
    conformIdTokenClaims: false,
    /**
     * `gatehouse:admin` opens the admin API (/api/admin/v1) to machine clients. It has to be listed
     * here for a client to be registered with it, but only a client_credentials token grants
     * anything: the admin API accepts no other kind of token, and only from a client whose
     * registration names the scope explicitly (oidc-provider lets a client without a scope list
     * request any scope listed here). Without a resource indicator the token stays opaque.
     */
    scopes: ALL_SCOPES,
    /** Every node derives the same cookie keys from SECRET_KEY, so any node can read any cookie. */
    cookies: {
      keys: [cookieKey(settings.secretKey)],
      names: cookieNames(settings.issuer),
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    clientDefaults: withoutId(CLIENT_DEFAULTS),
    extraClientMetadata,
    loadExistingGrant: createLoadExistingGrant(deps.consents),
    /**
     * PKCE (S256 only) for every client using the authorization code, unless a confidential client is
     * registered with `--pkce optional` for relying parties that cannot send it. Public clients always.
     */
    pkce: { required: (_ctx, client) => pkceRequired(client.metadata()) },
    /** Only what a client can be registered with: the code flow, and algorithms Gatehouse has keys for. */
    responseTypes: ['code'],
    enabledJWA: {
      idTokenSigningAlgValues: [...SIGNING_ALGS],
      userinfoSigningAlgValues: [...SIGNING_ALGS],
      introspectionSigningAlgValues: [...SIGNING_ALGS],
      authorizationSigningAlgValues: [...SIGNING_ALGS],
    },
    /** Refresh tokens rotate on every use; presenting a rotated one revokes the whole grant. */
    rotateRefreshToken: true,
    /**
     * Browser apps may call the token, userinfo and revocation endpoints from the origins of their
     * own redirect URIs (Keycloak's "web origins: +"), and from nowhere else.
     */
    clientBasedCORS: (_ctx, origin, client) =>
      (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin),
    /** As Keycloak: a client allowed the refresh_token grant gets a refresh token, offline_access or not. */
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
      policy: buildInteractionPolicy(),
    },
    /** `idp_hint=<alias>` (and Keycloak's `kc_idp_hint`) picks the upstream provider for a sign-in. */
    extraParams: ['idp_hint', 'kc_idp_hint'],
    /** Keycloak-style levels: `1` one factor, `2` two factors (see ./acr.ts). */
    acrValues: [ACR.singleFactor, ACR.multiFactor],
    /** Server-side fetches (back-channel logout, jwks_uri) never reach private networks unless allowed. */
    fetch: createProviderFetch(settings.allowPrivateNetworkFetch),
    ttl: {
      ...TTL,
      // A rotated refresh token inherits what was left of its predecessor, so rotation never
      // stretches a grant beyond two weeks from sign-in.
      RefreshToken: (ctx) => ctx?.oidc?.entities.RotatedRefreshToken?.remainingTTL ?? TTL.RefreshToken,
      // A JWT access token's resource sets its (short) lifetime: see ./access-tokens.ts.
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? TTL.AccessToken,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? TTL.ClientCredentials,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      userinfo: { enabled: true },
      /** Signed userinfo for clients registered with `--userinfo-signing-alg`. */
      jwtUserinfo: { enabled: true },
      backchannelLogout: { enabled: true },
      /**
       * RFC 8628 for command-line tools and TVs; a client opts in with the device_code grant. The
       * code is 8 characters from 20 consonants (≈34 bits), and POST /device is where a rate limit
       * against guessing belongs.
       */
      deviceFlow: { enabled: true, charset: 'base-20', mask: '****-****', ...pages.device },
      /** A client may introspect or revoke only its own tokens. */
      introspection: {
        enabled: true,
        allowedPolicy: async (ctx, _client, token) => token.clientId === ctx.oidc.client?.clientId,
      },
      revocation: {
        enabled: true,
        allowedPolicy: async (ctx, _client, token) => token.clientId === ctx.oidc.client?.clientId,
      },
      rpInitiatedLogout: { enabled: true, ...pages.logout },
      /** Only for clients registered with `--access-token-format jwt` (see ./access-tokens.ts). */
      resourceIndicators,
      ...registrationFeatures(settings.dynamicClientRegistration),
    },
    renderError: pages.error,
    discovery: {
      /** Every page of a sign-in speaks these (locales/*.json), chosen by the request's `ui_locales`. */
      ui_locales_supported: [...LOCALES],
      /** Gatehouse's own logout pages implement it (interactions/front-channel-logout.ts), with iss and sid. */
      frontchannel_logout_supported: true,
      frontchannel_logout_session_supported: true,
    },
  };
}

/**
 * PostgreSQL's text and jsonb cannot hold U+0000 (nor, in jsonb, a lone surrogate): a NUL in a
 * token, a client_id or an authorization parameter reached the database as a query error and came
 * back as a 500 (`token=a%00b` on introspection, `state=%00` on /auth). No stored id contains one,
 * so looking one up finds nothing; a payload carrying one can only hold it from a client's request,
 * which is refused as invalid_request.
 */
export function refusingUnstorableText(factory: AdapterFactory): AdapterFactory {
  return (model) => {
    const inner: Adapter = factory(model);
    return {
      upsert: async (id, payload, expiresIn) => {
        if (containsUnstorableText(id) || containsUnstorableText(payload)) {
          throw new errors.InvalidRequest('the request contains characters that are not allowed');
        }
        return inner.upsert(id, payload, expiresIn);
      },
      find: async (id) => (containsUnstorableText(id) ? undefined : inner.find(id)),
      findByUid: async (uid) => (containsUnstorableText(uid) ? undefined : inner.findByUid(uid)),
      findByUserCode: async (code) => (containsUnstorableText(code) ? undefined : inner.findByUserCode(code)),
      consume: (id) => inner.consume(id),
      destroy: (id) => inner.destroy(id),
      revokeByGrantId: (grantId) => inner.revokeByGrantId(grantId),
    };
  };
}

function mutable(claims: typeof SCOPE_CLAIMS): Record<string, string[]> {
  return Object.fromEntries(Object.entries(claims).map(([k, v]) => [k, [...v]]));
}

/** `clientDefaults` are metadata without an id. */
export function withoutId(metadata: ClientMetadata): Omit<ClientMetadata, 'client_id'> {
  const { client_id: _id, ...rest } = metadata;
  return rest;
}
