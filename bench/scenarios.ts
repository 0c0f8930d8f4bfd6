import { authorizeAgain, CookieJar, type FlowTarget, type HttpClient, signIn } from './browser-flow.ts';
import { basicAuth, type Endpoints, MACHINE_CLIENT, type Target, WEB_CLIENT } from './fixtures.ts';
import type { LoadJob } from './load.ts';

export interface BenchSettings {
  connections: number;
  /** Per scenario per target, for the duration-bound scenarios. */
  seconds: number;
  /** Untimed run before each measured one, so neither target is measured cold. */
  warmupSeconds: number;
  /** Refresh tokens pre-issued per target; the refresh scenario sends exactly this many requests. */
  refreshPool: number;
}

/** What a scenario needs to know about one target, gathered once before the scenarios run. */
export interface TargetContext {
  target: Target;
  endpoints: Endpoints;
  flow: FlowTarget;
  emails: string[];
  /** A user's access token (openid profile email groups) for userinfo and introspection. */
  accessToken: string;
  http: HttpClient;
}

export interface Scenario {
  name: string;
  /** What one unit of `completed` is: an HTTP request, or a whole sign-in of five requests. */
  unit: 'request' | 'sign-in';
  /** Refresh tokens are single-use, so a warm-up would spend the pool. */
  warmup: boolean;
  note: string;
  /** Builds the load; anything it does first (issuing tokens) is not timed. */
  job(ctx: TargetContext, settings: BenchSettings): Promise<LoadJob>;
}

const FORM = 'application/x-www-form-urlencoded';

export const SCENARIOS: Scenario[] = [
  {
    name: 'discovery',
    unit: 'request',
    warmup: true,
    note: 'GET /.well-known/openid-configuration',
    job: async (ctx, s) => ({
      kind: 'http',
      url: `${ctx.target.issuer}/.well-known/openid-configuration`,
      method: 'GET',
      headers: {},
      connections: s.connections,
      seconds: s.seconds,
    }),
  },
  {
    name: 'client_credentials',
    unit: 'request',
    warmup: true,
    note: 'POST /token grant_type=client_credentials, client_secret_basic, opaque token',
    job: async (ctx, s) => ({
      kind: 'http',
      url: ctx.endpoints.token,
      method: 'POST',
      headers: { authorization: basicAuth(MACHINE_CLIENT), 'content-type': FORM },
      body: 'grant_type=client_credentials',
      connections: s.connections,
      seconds: s.seconds,
    }),
  },
  {
    name: 'introspection',
    unit: 'request',
    warmup: true,
    note: "POST /token/introspection of a user's access token by its own client",
    job: async (ctx, s) => ({
      kind: 'http',
      url: ctx.endpoints.introspection,
      method: 'POST',
      headers: { authorization: basicAuth(WEB_CLIENT), 'content-type': FORM },
      body: new URLSearchParams({ token: ctx.accessToken }).toString(),
      connections: s.connections,
      seconds: s.seconds,
    }),
  },
  {
    name: 'userinfo',
    unit: 'request',
    warmup: true,
    note: 'GET /me with a Bearer access token',
    job: async (ctx, s) => ({
      kind: 'http',
      url: ctx.endpoints.userinfo,
      method: 'GET',
      headers: { authorization: `Bearer ${ctx.accessToken}` },
      connections: s.connections,
      seconds: s.seconds,
    }),
  },
  {
    name: 'refresh_token',
    unit: 'request',
    warmup: false,
    note: 'POST /token grant_type=refresh_token with rotation on; each pre-issued token used once',
    job: async (ctx, s) => ({
      kind: 'http',
      url: ctx.endpoints.token,
      method: 'POST',
      headers: { authorization: basicAuth(WEB_CLIENT), 'content-type': FORM },
      bodies: (await issueRefreshTokens(ctx, s.refreshPool, s.connections)).map((token) =>
        new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }).toString(),
      ),
      connections: s.connections,
    }),
  },
  {
    name: 'authorization_code',
    unit: 'sign-in',
    warmup: true,
    note: '/auth → sign-in page → password POST with CSRF → /auth → code → /token (PKCE S256)',
    job: async (ctx, s) => ({
      kind: 'flow',
      target: ctx.flow,
      emails: ctx.emails,
      connections: s.connections,
      seconds: s.seconds,
    }),
  },
];

/**
 * Refresh tokens from `browsers` separately signed-in users (one grant each, as in real use), each
 * asking /auth again for further codes: one password check per browser, not per token.
 */
async function issueRefreshTokens(ctx: TargetContext, count: number, browsers: number): Promise<string[]> {
  const tokens: string[] = [];
  const browser = async (index: number) => {
    const jar = new CookieJar();
    const email = ctx.emails[index % ctx.emails.length] ?? '';
    let set = await signIn(ctx.http, ctx.flow, email, jar);
    while (set.refresh_token && tokens.length < count) {
      tokens.push(set.refresh_token);
      if (tokens.length < count) set = await authorizeAgain(ctx.http, ctx.flow, jar);
    }
    if (!set.refresh_token) throw new Error(`${ctx.target.name} issued no refresh token`);
  };
  await Promise.all(Array.from({ length: browsers }, (_, i) => browser(i)));
  return tokens.slice(0, count);
}
