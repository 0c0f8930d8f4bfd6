import { type Wording, wording } from '../i18n/wording.ts';
import type { ExternalProvider } from './external-provider.ts';
import { chooseAuthMethod } from './upstream-client-auth.ts';

/** What an upstream's discovery document says, for the admin's "test" button. */
export interface DiscoveryReport {
  ok: boolean;
  discoveryUrl: string;
  /** What is wrong, in English (APIs and the CLI). */
  error?: string | undefined;
  /** The same, with its catalogue key for the console page. */
  problem?: Wording | undefined;
  issuer?: string | undefined;
  issuerMatches?: boolean | undefined;
  authorizationEndpoint?: string | undefined;
  tokenEndpoint?: string | undefined;
  userinfoEndpoint?: string | undefined;
  jwksUri?: string | undefined;
  endSessionEndpoint?: string | undefined;
  backchannelLogoutSupported: boolean;
  frontchannelLogoutSupported: boolean;
  idTokenSigningAlgs: string[];
  tokenEndpointAuthMethods: string[];
  codeChallengeMethods: string[];
  scopesSupported: string[];
  /** The provider's auth method is one the upstream lists (or the upstream lists none). */
  authMethodSupported: boolean;
  /** The method Gatehouse uses: the admin's, or the one chosen from what the upstream lists. */
  tokenEndpointAuthMethod?: string | undefined;
}

const TIMEOUT_MS = 5_000;

/** Fetches the upstream's discovery document afresh (no cache) and reports what it offers. */
export async function checkDiscovery(provider: ExternalProvider): Promise<DiscoveryReport> {
  if (provider.kind === 'oauth2') return oauth2Report(provider);
  const discoveryUrl = `${provider.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const empty = { discoveryUrl, ...nothingOffered(), authMethodSupported: false };
  const fetched = await fetchDiscovery(discoveryUrl);
  if ('failure' in fetched) return { ...empty, ok: false, ...problem(fetched.failure) };
  return { ...empty, ...reportOf(provider, fetched.doc) };
}

/** The document, or why it could not be had (an error status, a timeout, not JSON). */
async function fetchDiscovery(url: string): Promise<{ doc: Record<string, unknown> } | { failure: Wording }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error' });
    if (!response.ok) return { failure: wording('admin.discovery.status', { status: response.status }) };
    return { doc: (await response.json()) as Record<string, unknown> };
  } catch (err) {
    const cause = (err as Error).cause ? `: ${String((err as Error).cause)}` : '';
    const error = `${String(err)}${cause}`;
    return { failure: wording('admin.discovery.fetchFailed', { error }) };
  }
}

/** What the document offers, and whether it names the issuer the provider is configured with. */
function reportOf(
  provider: ExternalProvider,
  doc: Record<string, unknown>,
): Omit<DiscoveryReport, 'discoveryUrl'> {
  const text = (key: string) => (typeof doc[key] === 'string' ? (doc[key] as string) : undefined);
  const list = (key: string) => (Array.isArray(doc[key]) ? (doc[key] as unknown[]).map(String) : []);
  const authMethods = list('token_endpoint_auth_methods_supported');
  const method = chooseAuthMethod(provider, authMethods);
  const issuerMatches = text('issuer') === provider.issuer;
  const mismatch = { found: String(text('issuer')), expected: provider.issuer };
  return {
    ok: issuerMatches && !!text('authorization_endpoint') && !!text('token_endpoint'),
    ...(issuerMatches ? {} : problem(wording('admin.discovery.issuerMismatch', mismatch))),
    issuer: text('issuer'),
    issuerMatches,
    authorizationEndpoint: text('authorization_endpoint'),
    tokenEndpoint: text('token_endpoint'),
    userinfoEndpoint: text('userinfo_endpoint'),
    jwksUri: text('jwks_uri'),
    endSessionEndpoint: text('end_session_endpoint'),
    backchannelLogoutSupported: doc.backchannel_logout_supported === true,
    frontchannelLogoutSupported: doc.frontchannel_logout_supported === true,
    idTokenSigningAlgs: list('id_token_signing_alg_values_supported'),
    tokenEndpointAuthMethods: authMethods,
    codeChallengeMethods: list('code_challenge_methods_supported'),
    scopesSupported: list('scopes_supported'),
    // RFC 8414: when the list is absent, client_secret_basic is the default.
    authMethodSupported: authMethods.length ? authMethods.includes(method) : method === 'client_secret_basic',
    tokenEndpointAuthMethod: method,
  };
}

/** What a report says of an upstream that lists nothing (no document, or a plain OAuth2 one). */
function nothingOffered() {
  return {
    backchannelLogoutSupported: false,
    frontchannelLogoutSupported: false,
    idTokenSigningAlgs: [],
    tokenEndpointAuthMethods: [],
    codeChallengeMethods: [],
    scopesSupported: [],
  };
}

/** A plain OAuth2 upstream publishes no discovery document: the configured endpoints are the report. */
function oauth2Report(provider: ExternalProvider): DiscoveryReport {
  const endpoints = provider.options.oauth2;
  const method = chooseAuthMethod(provider, undefined);
  return {
    ok: Boolean(endpoints),
    discoveryUrl: '',
    ...(endpoints ? {} : problem(wording('admin.discovery.oauth2NoEndpoints'))),
    authorizationEndpoint: endpoints?.authorizationEndpoint,
    tokenEndpoint: endpoints?.tokenEndpoint,
    userinfoEndpoint: endpoints?.userinfoEndpoint,
    ...nothingOffered(),
    authMethodSupported: true,
    tokenEndpointAuthMethod: method,
  };
}

function problem(w: Wording): Pick<DiscoveryReport, 'error' | 'problem'> {
  return { error: w.message, problem: w };
}
