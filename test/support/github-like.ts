import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from './browser.ts';

export interface GitHubUser {
  id: number;
  login: string;
  name?: string | null;
  /** The public profile address (GitHub shows it on /user; nobody verified it). */
  email?: string | null;
  company?: string | null;
  emails: Array<{ email: string; primary: boolean; verified: boolean }>;
}

export interface GitHubLike {
  alias: string;
  /** The server's base URL: Gatehouse's github preset derives /login/oauth/… and /api/v3/… from it. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  users: Map<string, GitHubUser>;
  /** An admin suspends the user: their tokens stop working and they cannot sign in. */
  suspend(login: string): void;
  /** On the login page (reached by redirect), signs in as `login`. */
  signIn(browser: Browser, page: Page, login: string): Promise<Page>;
  close(): Promise<void>;
}

interface Grant {
  login: string;
  scope: string;
  redirectUri: string;
  challenge: string;
}

/**
 * A GitHub (Enterprise Server) stand-in on node:http, as Gatehouse meets the real one: plain OAuth2
 * with no discovery and no ID token, a token endpoint that answers errors with status 200 and its
 * own codes, `/api/v3/user` and `/api/v3/user/emails` behind the access token, PKCE S256.
 */
export async function startGitHubLike(options: {
  gatehouseIssuer: string;
  alias: string;
  users: GitHubUser[];
}): Promise<GitHubLike> {
  const users = new Map(options.users.map((u) => [u.login, u]));
  const suspended = new Set<string>();
  const codes = new Map<string, Grant>();
  const tokens = new Map<string, { login: string; scope: string }>();
  const clientId = 'Iv1.gatehouse-test';
  const clientSecret = 'github-like-secret-0123456789abcdef';
  const callback = `${options.gatehouseIssuer}/external/${options.alias}/callback`;
  const state = { users, suspended, codes, tokens, clientId, clientSecret, callback };
  const server: Server = createServer((req, res) => {
    route(req, res, state).catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    alias: options.alias,
    issuer,
    clientId,
    clientSecret,
    users,
    suspend: (login) => suspended.add(login),
    async signIn(browser, page, login) {
      const submitted = await browser.submit(page, 'form', { login });
      return browser.follow(submitted, (url) => !url.startsWith(issuer));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type State = {
  users: Map<string, GitHubUser>;
  suspended: Set<string>;
  codes: Map<string, Grant>;
  tokens: Map<string, { login: string; scope: string }>;
  clientId: string;
  clientSecret: string;
  callback: string;
};

async function route(req: IncomingMessage, res: ServerResponse, s: State): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://github.test');
  const key = `${req.method} ${url.pathname}`;
  if (key === 'GET /login/oauth/authorize') return authorize(req, res, url, s);
  if (key === 'POST /session') return session(res, new URLSearchParams(await body(req)), s);
  if (key === 'POST /login/oauth/access_token')
    return token(req, res, new URLSearchParams(await body(req)), s);
  if (key === 'GET /api/v3/user') return api(req, res, s, (u) => profile(u));
  if (key === 'GET /api/v3/user/emails')
    return api(req, res, s, (u, scope) =>
      scope.split(/[ ,]/).includes('user:email') ? u.emails : undefined,
    );
  json(res, 404, { message: 'Not Found' });
}

function authorize(req: IncomingMessage, res: ServerResponse, url: URL, s: State): void {
  const q = url.searchParams;
  if (q.get('client_id') !== s.clientId || q.get('redirect_uri') !== s.callback) {
    res
      .writeHead(400, { 'content-type': 'text/html' })
      .end('<p>The redirect_uri is not associated with this application.</p>');
    return;
  }
  const login = /(?:^|; )gh_user=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
  if (!login || !s.users.has(login) || s.suspended.has(login)) {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(
      `<form method="post" action="/session"><input name="login"><input type="hidden" name="return_to" value="${escapeHtml(url.pathname + url.search)}"></form>`,
    );
    return;
  }
  const code = randomBytes(10).toString('hex');
  s.codes.set(code, {
    login,
    scope: q.get('scope') ?? '',
    redirectUri: s.callback,
    challenge: q.get('code_challenge') ?? '',
  });
  const back = new URL(s.callback);
  back.search = new URLSearchParams({ code, state: q.get('state') ?? '' }).toString();
  res.writeHead(302, { location: back.href }).end();
}

function session(res: ServerResponse, form: URLSearchParams, s: State): void {
  const login = form.get('login') ?? '';
  if (!s.users.has(login) || s.suspended.has(login)) {
    res.writeHead(200, { 'content-type': 'text/html' }).end('<p>Incorrect username or password.</p>');
    return;
  }
  const returnTo = form.get('return_to') ?? '/';
  res.writeHead(302, {
    location: returnTo.startsWith('/') ? returnTo : '/',
    'set-cookie': `gh_user=${login}; Path=/; HttpOnly`,
  });
  res.end();
}

/** GitHub answers token errors with 200 and its own codes (bad_verification_code, …). */
function token(req: IncomingMessage, res: ServerResponse, form: URLSearchParams, s: State) {
  const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  const [id, secret] = basic
    ? Buffer.from(basic, 'base64').toString().split(':').map(decodeURIComponent)
    : [form.get('client_id'), form.get('client_secret')];
  if (id !== s.clientId || secret !== s.clientSecret)
    return json(res, 200, { error: 'incorrect_client_credentials' });
  const grant = s.codes.get(form.get('code') ?? '');
  s.codes.delete(form.get('code') ?? '');
  const verifier = form.get('code_verifier') ?? '';
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  if (!grant || grant.redirectUri !== form.get('redirect_uri') || grant.challenge !== challenge)
    return json(res, 200, { error: 'bad_verification_code' });
  const accessToken = `gho_${randomBytes(16).toString('hex')}`;
  s.tokens.set(accessToken, { login: grant.login, scope: grant.scope });
  json(res, 200, { access_token: accessToken, token_type: 'bearer', scope: grant.scope });
}

function api(
  req: IncomingMessage,
  res: ServerResponse,
  s: State,
  answer: (user: GitHubUser, scope: string) => unknown,
) {
  const bearer = /^(?:Bearer|token) (.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
  const held = s.tokens.get(bearer);
  const user = held ? s.users.get(held.login) : undefined;
  if (!held || !user || s.suspended.has(user.login)) return json(res, 401, { message: 'Bad credentials' });
  const body = answer(user, held.scope);
  if (body === undefined) return json(res, 404, { message: 'Not Found' });
  json(res, 200, body);
}

function profile(u: GitHubUser) {
  return {
    login: u.login,
    id: u.id,
    name: u.name ?? null,
    email: u.email ?? null,
    company: u.company ?? null,
  };
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(value));
}

async function body(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
}

function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}
