// A relying party in one file: signs a person in at Gatehouse with the authorization code flow and
// PKCE, then shows the ID token's claims and the userinfo answer. Run it from the repository:
//
//   SECRET=<the client secret> npx node examples/demo-client.mjs
//
// with a client created as the README says (`--id demo --redirect-uri http://localhost:8080/callback`).
import { createServer } from 'node:http';
import * as oidc from 'openid-client';

/** Starts the demo on `port`; resolves once it listens. */
export async function startDemo({ issuer, clientId, clientSecret, port = 8080, host = 'localhost' }) {
  const config = await oidc.discovery(
    new URL(issuer),
    clientId,
    undefined,
    oidc.ClientSecretBasic(clientSecret),
    {
      // Plain http is for a local try-out only; a real issuer is https.
      execute: issuer.startsWith('http://') ? [oidc.allowInsecureRequests] : [],
    },
  );
  const base = `http://${host}:${port}`;
  const redirectUri = `${base}/callback`;
  // One sign-in at a time is enough for a demo: the verifier and state of the last one started.
  let pending;

  async function start(res) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    pending = { verifier, state };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile email groups',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    res.writeHead(302, { location: url.href }).end();
  }

  async function callback(req, res) {
    if (!pending) return send(res, 400, { error: 'No sign-in was started here: open / first.' });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(req.url, base), {
      pkceCodeVerifier: pending.verifier,
      expectedState: pending.state,
    });
    pending = undefined;
    const claims = tokens.claims();
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    send(res, 200, { id_token: claims, userinfo });
  }

  const server = createServer((req, res) => {
    const path = new URL(req.url, base).pathname;
    const handler = path === '/' ? start(res) : path === '/callback' ? callback(req, res) : undefined;
    // Anything else (the browser's /favicon.ico, say) is simply not here.
    if (!handler) return send(res, 404, { error: 'not found' });
    handler.catch((error) => send(res, 502, { error: String(error?.message ?? error) }));
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  return { url: `${base}/`, close: () => new Promise((resolve) => server.close(resolve)) };
}

function send(res, status, body) {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body, null, 2)}\n`);
}

if (import.meta.main) {
  const demo = await startDemo({
    issuer: process.env.ISSUER ?? 'http://localhost:3000',
    clientId: process.env.CLIENT_ID ?? 'demo',
    clientSecret: process.env.SECRET ?? '',
  });
  console.log(`Open ${demo.url} and sign in.`);
}
