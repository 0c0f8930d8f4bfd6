import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair } from 'jose';
import Provider, { type ClientAuthMethod, type Configuration, type JWKS } from 'oidc-provider';
import type { Browser, Page } from './browser.ts';
import { memoryAdapter, UPSTREAM_PAGES, UPSTREAM_TTL, upstreamInteraction } from './upstream-interactions.ts';

const SID_ONLY_SINK = 'backchannel-sink';

export interface UpstreamUser {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  /** Any other claim the upstream asserts (upn, groups, xms_edov, _claim_names…). */
  [claim: string]: unknown;
}

export interface UpstreamOptions {
  /** The Gatehouse that uses this upstream (for the client's redirect and logout URIs). */
  gatehouseIssuer: string;
  alias: string;
  users: UpstreamUser[];
  clientId?: string;
  clientSecret?: string;
  /** Which claims each scope releases (default: email → email, email_verified; profile → name). */
  scopeClaims?: Record<string, string[]>;
  /** Register Gatehouse's back-channel logout URI (default true; Entra does front-channel only). */
  backchannel?: boolean;
  /** How Gatehouse's client authenticates here, and its public keys for private_key_jwt. */
  tokenEndpointAuthMethod?: ClientAuthMethod;
  clientJwks?: JWKS;
  /** What discovery advertises as token_endpoint_auth_methods_supported. */
  authMethodsSupported?: ClientAuthMethod[];
  /** Routes the upstream serves besides the OP's own (Entra's Graph); true when handled. */
  extraRoutes?: (req: IncomingMessage, res: ServerResponse, provider: Provider) => Promise<boolean>;
}

export interface UpstreamOp {
  /** The alias Gatehouse knows this upstream by: its callback and logout URIs carry it. */
  alias: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  provider: Provider;
  users: Map<string, UpstreamUser>;
  /** Subjects whose account is disabled here: no sign-in, and their refresh tokens are refused. */
  disabled: Set<string>;
  /** The `sid` of every session this upstream made for Gatehouse, per subject. */
  sids: Map<string, Set<string>>;
  /** The upstream's signing key (RS256), so tests can sign logout tokens exactly as it would. */
  signingKey: { key: CryptoKey; kid: string };
  /** On the upstream's own login page (reached by redirect), signs in as `sub`. */
  signIn(browser: Browser, page: Page, sub: string): Promise<Page>;
  /** True when `browser` is still signed in here: an authorization request comes back without a login. */
  hasSession(browser: Browser): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * A real, second oidc-provider on loopback standing in for Entra ID, Okta or Keycloak: its own users,
 * its own login form (any password), RP-initiated logout and back-channel logout to
 * Gatehouse. Consent is pre-granted, as a first-party registration would be.
 */
export async function startUpstream(options: UpstreamOptions): Promise<UpstreamOp> {
  const users = new Map(options.users.map((u) => [u.sub, u]));
  const disabled = new Set<string>();
  const sids = new Map<string, Set<string>>();
  const clientId = options.clientId ?? 'gatehouse';
  const clientSecret = options.clientSecret ?? 'upstream-secret-for-gatehouse-0123456789';
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kid = 'upstream-signing-key';
  const { privateKey, jwk } = await signingKeyPair();
  const callback = `${options.gatehouseIssuer}/external/${options.alias}/callback`;
  const configuration: Configuration = {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [callback],
        post_logout_redirect_uris: [`${options.gatehouseIssuer}/logout/upstream-callback`],
        grant_types: ['authorization_code', 'refresh_token'],
        // Without back-channel delivery to Gatehouse (Entra), the ID token still carries `sid`, as
        // Entra's does: the registration points at a sink of the upstream's own.
        backchannel_logout_uri:
          options.backchannel === false
            ? `${issuer}/${SID_ONLY_SINK}`
            : `${options.gatehouseIssuer}/external/${options.alias}/backchannel-logout`,
        backchannel_logout_session_required: true,
        ...(options.tokenEndpointAuthMethod
          ? { token_endpoint_auth_method: options.tokenEndpointAuthMethod }
          : {}),
        ...(options.clientJwks ? { jwks: options.clientJwks } : {}),
      },
    ],
    // acr and amr say how the user signed in here, when the user's record says (`amr: ["pwd","mfa"]`).
    claims: {
      acr: null,
      amr: null,
      openid: ['sub', 'acr', 'amr'],
      ...(options.scopeClaims ?? { email: ['email', 'email_verified'], profile: ['name'] }),
    },
    // Like Entra with offline_access: every code grant comes with a refresh token.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ...(options.authMethodsSupported ? { clientAuthMethods: options.authMethodsSupported } : {}),
    conformIdTokenClaims: false,
    renderError: UPSTREAM_PAGES.renderError,
    features: {
      devInteractions: { enabled: false },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: { enabled: true, ...UPSTREAM_PAGES },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    adapter: memoryAdapter(),
    ttl: UPSTREAM_TTL,
    cookies: { keys: ['upstream-cookie-key-for-tests'] },
    jwks: { keys: [{ ...jwk, kid, alg: 'RS256', use: 'sig' }] },
    // Gatehouse listens on loopback too; drop oidc-provider's guard against private addresses.
    fetch: (input, init) => {
      const { dispatcher: _guard, ...rest } = (init ?? {}) as RequestInit & { dispatcher?: unknown };
      return fetch(input, rest);
    },
    findAccount: (_ctx, sub) => {
      const user = users.get(sub);
      if (!user || disabled.has(sub)) return undefined;
      return { accountId: sub, claims: async () => ({ ...users.get(sub), sub }) };
    },
    loadExistingGrant: async (ctx) => {
      const { client, session } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
  };
  const provider = new Provider(issuer, configuration);
  provider.on('server_error', (_ctx, err) => console.error('upstream server error', err));
  provider.on('authorization.success', (ctx) => {
    const { session, client } = ctx.oidc;
    if (!session?.accountId || !client) return;
    const sid = session.sidFor(client.clientId);
    if (sid) sids.set(session.accountId, new Set([...(sids.get(session.accountId) ?? []), sid]));
  });
  const handle = provider.callback();
  server.on('request', (req, res) => {
    if (req.url === `/${SID_ONLY_SINK}`) {
      res.writeHead(200).end();
      return;
    }
    const extra = options.extraRoutes?.(req, res, provider) ?? Promise.resolve(false);
    extra
      .then(async (handled) => {
        if (handled) return;
        if (req.url?.startsWith('/interaction/'))
          await upstreamInteraction(provider, req, res, (sub) => authenticationOf(users.get(sub)));
        else await handle(req, res);
      })
      .catch(() => res.writeHead(500).end());
  });
  return {
    alias: options.alias,
    issuer,
    clientId,
    clientSecret,
    provider,
    users,
    disabled,
    sids,
    signingKey: { key: privateKey, kid },
    async signIn(browser, page, sub) {
      const submitted = await browser.submit(page, 'form', { login: sub, password: 'any' });
      return browser.follow(submitted, (url) => !url.startsWith(issuer));
    },
    async hasSession(browser) {
      const probe = new URL(`${issuer}/auth`);
      probe.search = new URLSearchParams({
        client_id: clientId,
        response_type: 'code',
        scope: 'openid',
        redirect_uri: callback,
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        state: 'session-probe',
      }).toString();
      const page = await browser.visit(probe.href, (url) => url.startsWith(options.gatehouseIssuer));
      const back = page.location?.startsWith(`${callback}?`) ? new URL(page.location) : undefined;
      return Boolean(back?.searchParams.has('code'));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function signingKeyPair() {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { privateKey, jwk: await exportJWK(privateKey) };
}

/** The `amr`/`acr` a test user's record names, for the upstream's session and ID tokens. */
function authenticationOf(user: UpstreamUser | undefined): { amr?: string[]; acr?: string } {
  return {
    ...(Array.isArray(user?.amr) ? { amr: user.amr.map(String) } : {}),
    ...(typeof user?.acr === 'string' ? { acr: user.acr } : {}),
  };
}
