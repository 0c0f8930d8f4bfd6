import { createHash, randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { type BenchClient, basicAuth, PASSWORD, REDIRECT_URI, SCOPE } from './fixtures.ts';

export interface Reply {
  url: string;
  status: number;
  location: string | undefined;
  body: string;
}

interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  form?: Record<string, string>;
  jar?: CookieJar;
}

/**
 * node:http with keep-alive rather than fetch: the flow scenario must not be limited by the
 * client, and fetch costs several times more CPU per request on the same two cores.
 */
export class HttpClient {
  readonly #agent: Agent;

  constructor(maxSockets: number) {
    this.#agent = new Agent({ keepAlive: true, maxSockets });
  }

  send(url: string, options: SendOptions = {}): Promise<Reply> {
    const target = new URL(url);
    const headers: Record<string, string> = { ...options.headers };
    const cookie = options.jar?.header(target.pathname);
    if (cookie) headers.cookie = cookie;
    const body = options.form ? new URLSearchParams(options.form).toString() : undefined;
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    return new Promise((resolve, reject) => {
      const req = request(target, { method: options.method ?? 'GET', headers, agent: this.#agent }, (res) => {
        options.jar?.absorb(res.headers['set-cookie']);
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('error', reject);
        res.on('end', () => {
          const location = res.headers.location;
          resolve({
            url,
            status: res.statusCode ?? 0,
            location: location ? new URL(location, url).toString() : undefined,
            body: text,
          });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** Enough of a browser's cookie store for one origin: name, value and path. */
export class CookieJar {
  readonly #cookies = new Map<string, { value: string; path: string }>();

  header(path: string): string | undefined {
    const pairs: string[] = [];
    for (const [name, c] of this.#cookies) {
      if (path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)) {
        pairs.push(`${name}=${c.value}`);
      }
    }
    return pairs.length ? pairs.join('; ') : undefined;
  }

  absorb(setCookies: string[] | undefined): void {
    for (const line of setCookies ?? []) {
      const [pair = '', ...attributes] = line.split(';').map((p) => p.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const attr = (key: string) =>
        attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
      const expires = attr('expires');
      const gone = !value || attr('max-age') === '0' || (expires && Date.parse(expires) < Date.now());
      if (gone) this.#cookies.delete(name);
      else this.#cookies.set(name, { value, path: attr('path') ?? '/' });
    }
  }
}

export interface FlowTarget {
  authorization: string;
  token: string;
  client: BenchClient;
}

export interface TokenSet {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
}

/**
 * A person's full sign-in in a new browser: /auth → sign-in page → form POST with its CSRF token
 * → back to /auth → code at the redirect URI → the application redeems it with its PKCE verifier.
 * Five HTTP requests; no consent page because the client is first-party.
 */
export async function signIn(http: HttpClient, target: FlowTarget, email: string, jar = new CookieJar()) {
  const request = authorizationRequest(target);
  const toLogin = await http.send(request.url, { jar });
  const loginUrl = redirectOf(toLogin, 'the authorization request');
  const page = await http.send(loginUrl, { jar });
  const form = loginForm(page);
  const submitted = await http.send(form.action, {
    method: 'POST',
    jar,
    form: { _csrf: form.csrf, email, password: PASSWORD },
  });
  const resumed = await http.send(redirectOf(submitted, 'the sign-in form'), { jar });
  return redeem(http, target, codeFrom(resumed, request.state), request.verifier);
}

/**
 * A browser that is already signed in asks again: /auth answers with a code straight away. Used to
 * pre-issue refresh tokens without paying for a password check each time.
 */
export async function authorizeAgain(http: HttpClient, target: FlowTarget, jar: CookieJar) {
  const request = authorizationRequest(target);
  const reply = await http.send(request.url, { jar });
  return redeem(http, target, codeFrom(reply, request.state), request.verifier);
}

function authorizationRequest(target: FlowTarget) {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(12).toString('base64url');
  const url = new URL(target.authorization);
  url.search = new URLSearchParams({
    client_id: target.client.clientId,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    state,
    nonce: randomBytes(12).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  return { url: url.toString(), verifier, state };
}

async function redeem(http: HttpClient, target: FlowTarget, code: string, verifier: string) {
  const reply = await http.send(target.token, {
    method: 'POST',
    headers: { authorization: basicAuth(target.client) },
    form: { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier },
  });
  if (reply.status !== 200) throw unexpected(reply, 'the code redemption');
  return JSON.parse(reply.body) as TokenSet;
}

function redirectOf(reply: Reply, step: string): string {
  if (reply.status < 300 || reply.status > 399 || !reply.location) throw unexpected(reply, step);
  return reply.location;
}

function loginForm(page: Reply): { action: string; csrf: string } {
  const action = /<form[^>]*action="([^"]*\/login)"/.exec(page.body)?.[1];
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
  if (page.status !== 200 || !action || !csrf) throw unexpected(page, 'the sign-in page');
  return { action: new URL(action, page.url).toString(), csrf };
}

function codeFrom(reply: Reply, state: string): string {
  const location = redirectOf(reply, 'the return to /auth');
  if (!location.startsWith(REDIRECT_URI)) throw unexpected(reply, 'the return to /auth');
  const params = new URL(location).searchParams;
  const code = params.get('code');
  if (!code || params.get('state') !== state) throw unexpected(reply, 'the authorization response');
  return code;
}

function unexpected(reply: Reply, step: string): Error {
  const where = reply.location ? ` → ${reply.location}` : '';
  return new Error(`${step}: ${reply.status} from ${reply.url}${where} ${reply.body.slice(0, 300)}`);
}
