import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair } from 'jose';
import Provider, { type Configuration } from 'oidc-provider';
import type { Browser, Page } from './browser.ts';

export interface UpstreamUser {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
}

export interface UpstreamOptions {
  /** The Gatehouse that uses this upstream (for the client's redirect and logout URIs). */
  gatehouseIssuer: string;
  alias: string;
  users: UpstreamUser[];
  clientId?: string;
  clientSecret?: string;
}

export interface UpstreamOp {
  /** The alias Gatehouse knows this upstream by: its callback and logout URIs carry it. */
  alias: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  provider: Provider;
  users: Map<string, UpstreamUser>;
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
 * its development login form (any password), RP-initiated logout and back-channel logout to
 * Gatehouse. Consent is pre-granted, as a first-party registration would be.
 */
export async function startUpstream(options: UpstreamOptions): Promise<UpstreamOp> {
  const users = new Map(options.users.map((u) => [u.sub, u]));
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
        backchannel_logout_uri: `${options.gatehouseIssuer}/external/${options.alias}/backchannel-logout`,
        backchannel_logout_session_required: true,
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    cookies: { keys: ['upstream-cookie-key-for-tests'] },
    jwks: { keys: [{ ...jwk, kid, alg: 'RS256', use: 'sig' }] },
    // Gatehouse listens on loopback too; drop oidc-provider's guard against private addresses.
    fetch: (input, init) => {
      const { dispatcher: _guard, ...rest } = (init ?? {}) as RequestInit & { dispatcher?: unknown };
      return fetch(input, rest);
    },
    findAccount: (_ctx, sub) => {
      const user = users.get(sub);
      return user ? { accountId: sub, claims: async () => ({ ...user }) } : undefined;
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
  server.on('request', provider.callback());
  return {
    alias: options.alias,
    issuer,
    clientId,
    clientSecret,
    provider,
    users,
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
