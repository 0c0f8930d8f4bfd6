import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

/**
 * A web application signing in with `passport-openidconnect` (Jared Hanson's Passport strategy), as
 * an Express app would use it: a confidential client posting its secret in the body
 * (client_secret_post) and sending no PKCE, which is why it needs `--pkce optional`.
 */
export interface PassportApp {
  /** Start here: redirects to Gatehouse. */
  loginUrl: string;
  callbackUrl: string;
  /** Who the strategy signed in, with the claims it read from userinfo. */
  signedIn: Array<{ sub: string; email?: string; idToken: string }>;
  close(): Promise<void>;
}

/** The small part of the strategy's interface this app uses (the package ships no types). */
interface StrategyInstance {
  authenticate(req: unknown, options: object): void;
  redirect(url: string): void;
  success(user: object): void;
  fail(challenge: unknown, status?: number): void;
  error(err: Error): void;
}
type StrategyClass = new (options: object, verify: (...args: unknown[]) => void) => StrategyInstance;

const require = createRequire(import.meta.url);
const { Strategy } = require('passport-openidconnect') as { Strategy: StrategyClass };

export async function startPassportApp(
  issuer: string,
  clientId: string,
  secret: string,
): Promise<PassportApp> {
  const signedIn: PassportApp['signedIn'] = [];
  // One browser, one session: the strategy keeps its state and nonce here between the two legs.
  const session: Record<string, unknown> = {};
  let callbackUrl = '';
  const strategy = (): StrategyInstance =>
    new Strategy(
      {
        issuer,
        authorizationURL: `${issuer}/auth`,
        tokenURL: `${issuer}/token`,
        userInfoURL: `${issuer}/me`,
        clientID: clientId,
        clientSecret: secret,
        callbackURL: callbackUrl,
        scope: ['profile', 'email'],
        skipUserProfile: false,
      },
      // The 9-argument form makes the strategy fetch userinfo as well as read the ID token.
      (_iss, profile, _idProfile, _ctx, idToken, _at, _rt, _params, done) => {
        const p = profile as { id: string; emails?: Array<{ value: string }> };
        (done as (e: null, user: object) => void)(null, {
          sub: p.id,
          email: p.emails?.[0]?.value,
          idToken: String(idToken),
        });
      },
    );

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const instance = Object.create(strategy()) as StrategyInstance;
    instance.redirect = (location) => res.writeHead(302, { location }).end();
    instance.success = (user) => {
      signedIn.push(user as PassportApp['signedIn'][number]);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(user));
    };
    instance.fail = (challenge, status) => res.writeHead(status ?? 401).end(JSON.stringify(challenge));
    instance.error = (err) => res.writeHead(500).end(`${err.name}: ${err.message}`);
    const request = Object.assign(req as IncomingMessage & object, {
      query: Object.fromEntries(url.searchParams),
      session,
    });
    instance.authenticate(request, {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  callbackUrl = `${base}/callback`;
  return {
    loginUrl: `${base}/login`,
    callbackUrl,
    signedIn,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
