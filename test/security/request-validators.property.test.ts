import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, type AdminCaller, sessionCaller } from '../fixtures/admin-http.ts';
import { ApiClient } from '../support/api-client.ts';
import { Browser } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { csrfOf } from '../support/upstream-flow.ts';

/**
 * Issue 10, "property-based tests of every request validator": every JSON call of the sign-in API
 * and every operation of the admin API (as its OpenAPI document lists them), sent bodies whose
 * fields have the right names and any JSON value (strings with NUL, lone surrogates and emoji,
 * numbers, nulls, arrays, nested objects), and path and query parameters of any text. The answer
 * is always a 2xx, 3xx or 4xx with a JSON error, never a 5xx.
 */
describe('every request validator, for any input, over HTTP', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let admin: AdminCaller;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    await gh.gatehouse.userManager.createUser({ ...ADMIN, groups: ['admin'] });
    admin = await sessionCaller(gh, ADMIN);
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  const text = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.constantFrom('\u0000', '\ud800', 'a@b@c', ' ', '😀'.repeat(200), 'x'.repeat(5000)),
  );
  const scalar = fc.oneof(text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
  const value = fc.oneof(
    scalar,
    fc.array(scalar, { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), scalar, { maxKeys: 3 }),
  );
  const bodyWith = (fields: string[]) =>
    fc.oneof(
      fc.record(Object.fromEntries(fields.map((f) => [f, value])), { requiredKeys: [] }),
      fc.jsonValue({ maxDepth: 3 }),
    );

  const AUTH_API: Record<string, string[]> = {
    '/api/auth/login': ['username', 'password', 'rememberMe'],
    '/api/auth/verify-invite': ['token', 'userId'],
    '/api/auth/set-invited-user-password': ['token', 'password', 'newPassword'],
    '/api/auth/request-password-reset': ['email'],
    '/api/auth/set-password': ['token', 'userId', 'password', 'newPassword'],
    '/api/auth/change-password': ['oldPassword', 'newPassword'],
    '/api/auth/unlink-login': ['loginProvider', 'providerKey'],
    '/api/auth/two-factor/send': ['provider'],
    '/api/auth/two-factor/verify': ['provider', 'code'],
  };

  it('the sign-in API answers any body with a 4xx at worst', async () => {
    const api = new ApiClient(new Browser(), gh.issuer);
    for (const [path, fields] of Object.entries(AUTH_API)) {
      await fc.assert(
        fc.asyncProperty(bodyWith(fields), async (body) => {
          const answer = await api.post(path, body);
          expect(answer.status, `${path} ${JSON.stringify(body)}`).toBeLessThan(500);
          if (answer.status >= 400) expect(answer.json.error, path).toEqual(expect.any(String));
        }),
        { numRuns: 25 },
      );
    }
  }, 120_000);

  it('every admin API operation answers any body, path and query with a 4xx at worst', async () => {
    const document = (await admin.call('GET', '/openapi.json')).json as unknown as OpenApi;
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
    );
    expect(operations.length).toBeGreaterThan(20);
    for (const { path, method, operation } of operations) {
      const schema = operation.requestBody?.content['application/json']?.schema;
      const fields = Object.keys(schema?.properties ?? {});
      const queries = (operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      const request = fc.record({
        params: fc.array(text, { minLength: 4, maxLength: 4 }),
        query: fc.dictionary(fc.constantFrom('x', ...queries), text, { maxKeys: 3 }),
        body: schema ? bodyWith(fields) : fc.constant(undefined),
      });
      await fc.assert(
        fc.asyncProperty(request, async ({ params, query, body }) => {
          let i = 0;
          const filled = path.replace(/\{\w+\}/g, () => encodePart(params[i++] ?? ''));
          const search = new URLSearchParams(query).toString();
          const target = `${filled}${search ? `?${search}` : ''}`;
          const answer = await admin.call(method.toUpperCase(), target, body);
          const what = `${method} ${target} ${JSON.stringify(body)}`;
          expect(answer.status, what).toBeLessThan(500);
        }),
        { numRuns: method === 'get' || method === 'delete' ? 8 : 15 },
      );
    }
  }, 300_000);
});

/**
 * The HTML forms a person posts: the public ones (reset, invitation) and a signed-in person's
 * account pages, with a valid CSRF token and any text in their fields (forms carry only text).
 */
const FORMS: Record<string, string[]> = {
  '/reset-password': ['email'],
  '/reset-password/complete': ['token', 'password', 'confirmPassword'],
  '/invite': ['password', 'confirmPassword'],
  '/account/password': ['currentPassword', 'password', 'confirmPassword'],
  '/account/linked-logins/unlink': ['loginProvider', 'providerKey'],
  '/account/sessions/end': ['session'],
  '/account/sessions/end-others': [],
  '/account/applications/revoke': ['clientId'],
  '/account/two-factor/authenticator': ['code'],
  '/account/two-factor/email/confirm': ['code'],
  '/account/two-factor/disable': ['password', 'provider', 'code'],
};

describe('every HTML form, for any text, over HTTP', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    await gh.gatehouse.userManager.createUser(FORM_USER);
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  const field = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.constantFrom('\u0000', 'a@b@c', ' ', '😀'.repeat(200), 'x'.repeat(5000)),
  );

  it('answers any field values with a page or a redirect, never a 5xx', async () => {
    const api = new ApiClient(new Browser(), gh.issuer);
    const login = await api.post('/api/auth/login', {
      username: FORM_USER.email,
      password: FORM_USER.password,
    });
    expect(login.status).toBe(200);
    const csrf = csrfOf(await api.browser.request(`${gh.issuer}/account/sessions`));
    // The token and the session are good: the forms get past the guards to their validators.
    const accepted = await api.browser.request(`${gh.issuer}/account/sessions/end-others`, {
      method: 'POST',
      form: { _csrf: csrf },
    });
    expect(accepted.status).toBeLessThan(400);
    for (const [path, fields] of Object.entries(FORMS)) {
      const values = fc.record(Object.fromEntries(fields.map((f) => [f, field])), { requiredKeys: [] });
      await fc.assert(
        fc.asyncProperty(values, async (form) => {
          const answer = await api.browser.request(`${gh.issuer}${path}`, {
            method: 'POST',
            form: { _csrf: csrf, ...(form as Record<string, string>) },
          });
          expect(answer.status, `${path} ${JSON.stringify(form)}`).toBeLessThan(500);
        }),
        { numRuns: 15 },
      );
    }
  }, 180_000);
});

const FORM_USER = { email: 'forms@example.com', password: 'a long enough password' };

/** A lone surrogate has no UTF-8 form: it goes as the bytes a careless client would send for it. */
function encodePart(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return '%ED%A0%80';
  }
}

interface OpenApi {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Array<{ name: string; in: string }>;
        requestBody?: { content: Record<string, { schema?: { properties?: Record<string, unknown> } }> };
      }
    >
  >;
}
