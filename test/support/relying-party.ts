import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';

/** openid-client, configured as an application would be, over plain http on loopback. */
export async function discover(
  issuer: string,
  clientId: string,
  secret?: string,
): Promise<oidc.Configuration> {
  return oidc.discovery(
    new URL(issuer),
    clientId,
    undefined,
    secret ? oidc.ClientSecretBasic(secret) : oidc.None(),
    { execute: [oidc.allowInsecureRequests] },
  );
}

export interface AuthorizationRequest {
  url: URL;
  codeVerifier: string;
  state: string;
  nonce: string;
}

export async function authorizationRequest(
  config: oidc.Configuration,
  redirectUri: string,
  params: Record<string, string> = {},
): Promise<AuthorizationRequest> {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile email groups',
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { url, codeVerifier, state, nonce };
}

export interface BackchannelReceiver {
  url: string;
  /** Logout tokens received so far, raw. */
  tokens: string[];
  waitForToken(timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

/** An application's back-channel logout endpoint: records the logout tokens POSTed to it. */
export async function startBackchannelReceiver(): Promise<BackchannelReceiver> {
  const tokens: string[] = [];
  const waiters: Array<(token: string) => void> = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token');
      if (token) {
        tokens.push(token);
        for (const w of waiters.splice(0)) w(token);
      }
      res.writeHead(token ? 200 : 400).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/backchannel-logout`,
    tokens,
    waitForToken(timeoutMs = 5000) {
      const seen = tokens.at(-1);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no back-channel logout token arrived')), timeoutMs);
        waiters.push((t) => {
          clearTimeout(timer);
          resolve(t);
        });
      });
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
