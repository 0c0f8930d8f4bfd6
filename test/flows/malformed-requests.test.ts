import { parse } from 'node-html-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { authorizationRequest } from '../support/relying-party.ts';
import { registerTestClient, TEST_REDIRECT_URI } from '../support/sign-in-flow.ts';

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
const BIG_FORM = `x=${'a'.repeat(70_000)}`;
const BIG_JSON = `{"x":"${'a'.repeat(70_000)}"}`;
/** Invalid UTF-8, a NUL, a BOM, right-to-left override and an emoji, percent-encoded. */
const GARBAGE = `%ff%fe=%c0%af&${encodeURIComponent('\u202e\u{1F4A9}\ufeff')}=%00&%00=1`;
const LEAK =
  /\n\s+at\s|node_modules|\/work\/|\.[cm]?[jt]s:\d+|\b[A-Z][a-z]+Error\b|oops! something went wrong/;

/**
 * One request and the answer it must get. In `path` and `body`, `{uid}` is a live sign-in's
 * interaction, `{csrf}` its CSRF token and `{setup}` a valid first-run link token. `as` says what the
 * caller presents: the client's credentials, or the signed-in-to-be browser's cookies (with the CSRF
 * token in X-XSRF-Token for `browser+csrf`).
 */
interface Row {
  name: string;
  method?: string;
  path: string;
  type?: string;
  body?: string;
  as?: 'client' | 'browser' | 'browser+csrf';
  status: number;
  /** Text the answer must contain: an OAuth `error`, our error code or the page's message. */
  says?: string;
}

// biome-ignore format: a table reads best one request per line
const tokenRows: Row[] = [
  { name: 'JSON body', path: '/token', type: JSON_TYPE, body: '{"grant_type":"client_credentials"}', as: 'client', status: 400, says: 'invalid_request' },
  { name: 'text body', path: '/token', type: 'text/plain', body: 'grant_type=x', as: 'client', status: 400, says: 'invalid_request' },
  { name: 'repeated parameter', path: '/token', type: FORM, body: 'grant_type=refresh_token&refresh_token=a&refresh_token=b', as: 'client', status: 400, says: 'invalid_request' },
  { name: 'body over 64 kB', path: '/token', type: FORM, body: BIG_FORM, as: 'client', status: 400, says: 'invalid_request' },
  { name: 'unicode garbage', path: '/token', type: FORM, body: GARBAGE, as: 'client', status: 400, says: 'invalid_request' },
  { name: 'NUL in the code', path: '/token', type: FORM, body: `grant_type=authorization_code&code=a%00b&redirect_uri=${TEST_REDIRECT_URI}&code_verifier=${'v'.repeat(43)}`, as: 'client', status: 400, says: 'invalid_grant' },
  { name: 'NUL in the refresh token', path: '/token', type: FORM, body: 'grant_type=refresh_token&refresh_token=%00', as: 'client', status: 400, says: 'invalid_grant' },
  { name: 'NUL in client_id', path: '/token', type: FORM, body: 'grant_type=client_credentials&client_id=a%00b&client_secret=x', status: 401, says: 'invalid_client' },
  { name: 'unknown grant_type', path: '/token', type: FORM, body: 'grant_type=password&username=a&password=b', as: 'client', status: 400, says: 'unsupported_grant_type' },
  { name: 'GET', method: 'GET', path: '/token', status: 404 },
];

// biome-ignore format: a table reads best one request per line
const tokenToolRows: Row[] = ['/token/introspection', '/token/revocation'].flatMap((path): Row[] => [
  { name: 'JSON body', path, type: JSON_TYPE, body: '{"token":"x"}', as: 'client', status: 400, says: 'invalid_request' },
  { name: 'invalid JSON', path, type: JSON_TYPE, body: '{"token":', as: 'client', status: 400, says: 'invalid_request' },
  { name: 'repeated token', path, type: FORM, body: 'token=a&token=b', as: 'client', status: 400, says: 'invalid_request' },
  { name: 'no token', path, type: FORM, body: '', as: 'client', status: 400, says: 'invalid_request' },
  { name: 'no client authentication', path, type: FORM, body: 'token=a', status: 400, says: 'invalid_request' },
  { name: 'body over 64 kB', path, type: FORM, body: BIG_FORM, as: 'client', status: 400, says: 'invalid_request' },
  // RFC 7662 and 7009: an unknown token is inactive, or revoked already; that is not an error.
  { name: 'NUL in the token', path, type: FORM, body: 'token=a%00b', as: 'client', status: 200 },
]);

// biome-ignore format: a table reads best one request per line
const userinfoRows: Row[] = [
  // RFC 6750: a request without a usable token is answered 401 invalid_token.
  { name: 'no token', method: 'GET', path: '/me', status: 401, says: 'invalid_token' },
  { name: 'token in the query', method: 'GET', path: '/me?access_token=abc', status: 400, says: 'invalid_request' },
  { name: 'JSON body', path: '/me', type: JSON_TYPE, body: '{"access_token":["a"]}', status: 400, says: 'invalid_request' },
  { name: 'repeated token', path: '/me', type: FORM, body: 'access_token=a&access_token=b', status: 400, says: 'invalid_request' },
  { name: 'NUL in the token', path: '/me', type: FORM, body: 'access_token=a%00b', status: 401, says: 'invalid_token' },
  { name: 'unicode garbage', path: '/me', type: FORM, body: GARBAGE, status: 401, says: 'invalid_token' },
];

// biome-ignore format: a table reads best one request per line
const endSessionRows: Row[] = [
  { name: 'undecodable id_token_hint', method: 'GET', path: '/session/end?id_token_hint=not.a.jwt', status: 400, says: 'invalid_request' },
  { name: 'unknown client_id', method: 'GET', path: '/session/end?client_id=nobody', status: 400, says: 'invalid_client' },
  { name: 'NUL in client_id', method: 'GET', path: '/session/end?client_id=a%00b', status: 400, says: 'not allowed' },
  { name: 'NUL in state', method: 'GET', path: '/session/end?state=%00', status: 400, says: 'not allowed' },
  { name: 'POST (only GET is offered)', path: '/session/end', type: FORM, body: 'state=x', status: 404 },
  { name: 'confirm: wrong xsrf', path: '/session/end/confirm', type: FORM, body: 'xsrf=forged&logout=yes', status: 400, says: 'invalid_request' },
  { name: 'confirm: repeated xsrf', path: '/session/end/confirm', type: FORM, body: 'xsrf=a&xsrf=b', status: 400, says: 'invalid_request' },
  { name: 'confirm: JSON body', path: '/session/end/confirm', type: JSON_TYPE, body: '{"logout":"yes"}', status: 400, says: 'invalid_request' },
  { name: 'confirm: body over 64 kB', path: '/session/end/confirm', type: FORM, body: BIG_FORM, status: 400, says: 'invalid_request' },
];

// biome-ignore format: one URL
const authorize = `/auth?client_id=webapp&response_type=code&redirect_uri=${TEST_REDIRECT_URI}&scope=openid&code_challenge_method=S256&code_challenge=${'c'.repeat(43)}`;
// biome-ignore format: a table reads best one request per line
const authRows: Row[] = [
  { name: 'no parameters', method: 'GET', path: '/auth', status: 400, says: 'missing required parameter' },
  { name: 'repeated client_id', method: 'GET', path: '/auth?client_id=webapp&client_id=other', status: 400, says: 'must not be provided twice' },
  // Refused at the edge, before any route (issue 10): no route can store or look up such text.
  { name: 'invalid UTF-8 client_id', method: 'GET', path: '/auth?client_id=%ff%fe', status: 400, says: 'not allowed' },
  { name: 'NUL in client_id', method: 'GET', path: '/auth?client_id=a%00b', status: 400, says: 'not allowed' },
  { name: 'NUL in state', method: 'GET', path: '/auth?client_id=webapp&state=%00', status: 400, says: 'not allowed' },
  { name: 'URL of 20 kB', method: 'GET', path: `/auth?x=${'a'.repeat(20_000)}`, status: 431 },
  { name: 'POST (only GET is offered)', path: '/auth', type: FORM, body: 'client_id=webapp', status: 404 },
];
/** Errors that may go back to the registered redirect_uri do so: 303 there, with `error`. */
// biome-ignore format: a table reads best one request per line
const authRedirectRows: Array<[string, string, string]> = [
  ['max_age that is not a number', `${authorize}&max_age=soon`, 'invalid_request'],
  ['an unknown prompt', `${authorize}&prompt=maybe`, 'invalid_request'],
  ['unsupported response_type', authorize.replace('response_type=code', 'response_type=token'), 'unsupported_response_type'],
];

// biome-ignore format: a table reads best one request per line
const interactionRows: Row[] = ['login', 'consent', 'abort'].flatMap((step): Row[] => {
  const path = `/interaction/{uid}/${step}`;
  return [
    { name: `${step}: unknown uid`, path: `/interaction/nope/${step}`, type: FORM, body: '_csrf={csrf}', as: 'browser', status: 400, says: 'expired' },
    { name: `${step}: no cookies`, path, type: FORM, body: '_csrf={csrf}', status: 403, says: 'form has expired' },
    { name: `${step}: wrong CSRF token`, path, type: FORM, body: '_csrf=forged', as: 'browser', status: 403, says: 'form has expired' },
    { name: `${step}: repeated CSRF token`, path, type: FORM, body: '_csrf={csrf}&_csrf={csrf}', as: 'browser', status: 403, says: 'form has expired' },
    { name: `${step}: invalid JSON`, path, type: JSON_TYPE, body: '{"_csrf":', as: 'browser', status: 400, says: 'not valid JSON' },
    { name: `${step}: body over 64 kB`, path, type: FORM, body: BIG_FORM, as: 'browser+csrf', status: 413 },
    { name: `${step}: JSON over 64 kB`, path, type: JSON_TYPE, body: BIG_JSON, as: 'browser+csrf', status: 413 },
    { name: `${step}: text body`, path, type: 'text/plain', body: 'hello', as: 'browser+csrf', status: 415 },
    { name: `${step}: multipart body`, path, type: 'multipart/form-data; boundary=x', body: '--x--', as: 'browser+csrf', status: 415 },
    { name: `${step}: wrong method`, method: 'PUT', path, type: FORM, body: '', as: 'browser+csrf', status: 405 },
  ];
});
// biome-ignore format: a table reads best one request per line
const interactionFieldRows: Row[] = [
  { name: 'login: JSON instead of a form, arrays for strings', path: '/interaction/{uid}/login', type: JSON_TYPE, body: '{"_csrf":"{csrf}","email":["a@example.com"],"password":{"p":1}}', as: 'browser', status: 400, says: 'email' },
  { name: 'login: repeated fields', path: '/interaction/{uid}/login', type: FORM, body: 'email=a@example.com&email=b@example.com&password=x', as: 'browser+csrf', status: 400, says: 'email' },
  { name: 'login: NUL in the email', path: '/interaction/{uid}/login', type: FORM, body: 'email=a%00@example.com&password=x', as: 'browser+csrf', status: 400, says: 'not allowed' },
  { name: 'login: unicode garbage', path: '/interaction/{uid}/login', type: FORM, body: GARBAGE, as: 'browser+csrf', status: 400 },
  { name: 'consent: repeated decision', path: '/interaction/{uid}/consent', type: FORM, body: 'decision=allow&decision=deny', as: 'browser+csrf', status: 400 },
  { name: 'page: unknown uid', method: 'GET', path: '/interaction/nope', status: 400, says: 'expired' },
  { name: 'page: no cookies', method: 'GET', path: '/interaction/{uid}', status: 400, says: 'expired' },
  { name: 'page: undecodable uid', method: 'GET', path: '/interaction/%E0%A4%A', status: 400, says: 'not allowed' },
];

// biome-ignore format: a table reads best one request per line
const setupRows: Row[] = [
  { name: 'unknown token', method: 'GET', path: '/setup/nope', status: 400, says: 'not valid any more' },
  { name: 'NUL in the token', method: 'GET', path: '/setup/a%00b', status: 400, says: 'not allowed' },
  { name: 'no CSRF token', path: '/setup/{setup}', type: FORM, body: 'email=a@example.com', as: 'browser', status: 403 },
  { name: 'text body', path: '/setup/{setup}', type: 'text/plain', body: 'hi', as: 'browser+csrf', status: 415 },
  { name: 'invalid JSON', path: '/setup/{setup}', type: JSON_TYPE, body: '{', as: 'browser+csrf', status: 400, says: 'not valid JSON' },
  { name: 'body over 64 kB', path: '/setup/{setup}', type: FORM, body: BIG_FORM, as: 'browser+csrf', status: 413 },
  { name: 'arrays for strings', path: '/setup/{setup}', type: JSON_TYPE, body: '{"email":["a@example.com"],"password":["x"]}', as: 'browser+csrf', status: 400, says: 'email' },
  { name: 'NUL in the name', path: '/setup/{setup}', type: FORM, body: 'email=first@example.com&name=A%00B&password=a%20long%20enough%20phrase', as: 'browser+csrf', status: 400, says: 'not allowed' },
];

const metadataRows: Row[] = [
  ...['POST', 'PUT', 'DELETE'].map((method): Row => ({ name: method, method, path: '/jwks', status: 404 })),
  ...['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'].map(
    (method): Row => ({ name: method, method, path: '/.well-known/openid-configuration', status: 404 }),
  ),
];

describe('malformed requests get a 4xx, never a 500 or a stack trace', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  const fixture = { basic: '', uid: '', csrf: '', setup: '', browser: new Browser() };

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    const { secret, config } = await registerTestClient(gh, {
      clientId: 'webapp',
      public: false,
      grants: ['authorization_code', 'refresh_token', 'client_credentials'],
      skipConsent: false,
    });
    fixture.basic = `Basic ${Buffer.from(`webapp:${secret}`).toString('base64')}`;
    const login = await fixture.browser.visit(
      (await authorizationRequest(config, TEST_REDIRECT_URI)).url.toString(),
    );
    fixture.uid = new URL(login.url).pathname.split('/')[2] ?? '';
    fixture.csrf = parse(login.body).querySelector('input[name="_csrf"]')?.getAttribute('value') ?? '';
    const link = await gh.gatehouse.setup.setupLinkIfNeeded();
    fixture.setup = link?.split('/').at(-1) ?? '';
    expect(fixture.uid && fixture.csrf && fixture.setup).toBeTruthy();
  });

  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  const fill = (text: string) =>
    text
      .replaceAll('{uid}', fixture.uid)
      .replaceAll('{csrf}', fixture.csrf)
      .replaceAll('{setup}', fixture.setup);

  async function send(row: Pick<Row, 'method' | 'path' | 'type' | 'body' | 'as'>): Promise<Response> {
    const url = new URL(fill(row.path), gh.issuer).toString();
    const headers = new Headers(row.type ? { 'content-type': row.type } : {});
    if (row.as === 'client') headers.set('authorization', fixture.basic);
    if (row.as?.startsWith('browser')) headers.set('cookie', await fixture.browser.jar.getCookieString(url));
    if (row.as === 'browser+csrf') headers.set('x-xsrf-token', fixture.csrf);
    const body = row.body === undefined ? undefined : fill(row.body);
    return fetch(url, { method: row.method ?? 'POST', headers, body, redirect: 'manual' });
  }

  const table = [
    ...tokenRows.map((r) => ({ ...r, name: `/token ${r.name}` })),
    ...tokenToolRows.map((r) => ({ ...r, name: `${r.path} ${r.name}` })),
    ...userinfoRows.map((r) => ({ ...r, name: `/me ${r.name}` })),
    ...endSessionRows.map((r) => ({ ...r, name: `/session/end ${r.name}` })),
    ...authRows.map((r) => ({ ...r, name: `/auth ${r.name}` })),
    ...interactionRows.map((r) => ({ ...r, name: `/interaction ${r.name}` })),
    ...interactionFieldRows.map((r) => ({ ...r, name: `/interaction ${r.name}` })),
    ...setupRows.map((r) => ({ ...r, name: `/setup ${r.name}` })),
    ...metadataRows.map((r) => ({ ...r, name: `${r.path} ${r.name}` })),
  ];

  it.each(table)('$name → $status', async (row) => {
    const response = await send(row);
    const body = await response.text();
    expect(response.status, body.slice(0, 500)).toBe(row.status);
    expect(body).not.toMatch(LEAK);
    if (row.says) expect(body).toContain(row.says);
    // The Node HTTP parser answers 431 itself, before any of our code runs.
    if (row.status !== 431) expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it.each(authRedirectRows)('/auth %s → 303 to the client with an error', async (_, path, error) => {
    const response = await send({ method: 'GET', path });
    expect(response.status).toBe(303);
    const back = new URL(response.headers.get('location') ?? '');
    expect(`${back.origin}${back.pathname}`).toBe(TEST_REDIRECT_URI);
    // response_type=token would answer in the fragment, so the error goes there.
    const answer = new URLSearchParams(back.search || back.hash.slice(1));
    expect(answer.get('error')).toBe(error);
    expect(answer.get('code')).toBeNull();
  });

  it('still signs the user in afterwards: none of the above spent the interaction', async () => {
    const page = await fixture.browser.request(new URL(`/interaction/${fixture.uid}`, gh.issuer).toString());
    expect(page.status).toBe(200);
    expect(page.body).toContain('name="password"');
  });
});
