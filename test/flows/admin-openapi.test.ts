import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminApiRouter } from '../../src/api/admin/router.ts';
import {
  ADMIN,
  type AdminCaller,
  bearerCaller,
  clientCredentials,
  registerMachine,
  sessionCaller,
} from '../fixtures/admin-http.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { startUpstream, type UpstreamOp } from '../support/upstream-op.ts';

type Operation = {
  parameters?: Array<{ name: string; in: string }>;
  requestBody?: { content: { 'application/json': { schema: object } } };
  responses: Record<string, { content?: { 'application/json': { schema: object } } }>;
};
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

const USER = { email: 'walker@example.com', password: 'walking passphrase', name: 'Wally Walker' };

describe('the admin API answers as its generated OpenAPI 3.1 document says', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let upstream: UpstreamOp;
  let machine: AdminCaller;
  let doc: Document;
  const params: Record<string, string> = {};
  /** Operations that need another subject than the walking user: resending needs an invitee. */
  const paramsFor: Record<string, Record<string, string>> = {};

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({
      databaseUrl: db.url,
      configure: (b) => {
        b.notifications.on('SendEmailNotification', (n) => n.handleEmail());
      },
    });
    upstream = await startUpstream({
      gatehouseIssuer: gh.issuer,
      alias: 'walk-op',
      users: [{ sub: 'w-1', email: USER.email, email_verified: true }],
    });
    const manager = gh.gatehouse.userManager;
    await manager.createUser({ ...ADMIN, groups: ['admin'] });
    const user = await manager.createUser({ ...USER, groups: ['walkers'] });
    const provider = await gh.gatehouse.external.registry.create({
      alias: 'walk-op',
      issuer: upstream.issuer,
      clientId: upstream.clientId,
      clientSecret: upstream.clientSecret,
    });
    await gh.gatehouse.external.service.link(user, provider, { sub: 'w-1', emailVerified: true, claims: {} });
    await gh.gatehouse.clients.create({
      clientId: 'walk-app',
      public: false,
      redirectUris: ['https://app.example/cb'],
      postLogoutRedirectUris: [],
      grants: ['authorization_code'],
      scopes: [],
      skipConsent: false,
    });
    const invitee = await gh.gatehouse.invitations.invite({ email: 'invitee@example.com' });
    paramsFor['post /users/{id}/invitation'] = { id: invitee.user.id };
    // A user nothing else in the walk touches, whose one session is ended by uid.
    const sitter = await manager.createUser({ email: 'sitter@example.com', password: USER.password });
    await sessionCaller(gh, { email: sitter.email, password: USER.password });
    const [sitting] = await gh.gatehouse.sessions.listFor(sitter.id);
    paramsFor['delete /users/{id}/sessions/{uid}'] = { id: sitter.id, uid: sitting?.uid ?? '' };
    await sessionCaller(gh, USER);
    const [session] = await gh.gatehouse.sessions.listFor(user.id);
    Object.assign(params, {
      id: user.id,
      clientId: 'walk-app',
      alias: 'walk-op',
      providerAlias: 'walk-op',
      subject: 'w-1',
      uid: session?.uid ?? '',
    });
    const secret = await registerMachine(gh, 'walker-bot', ['gatehouse:admin']);
    machine = bearerCaller(
      gh,
      String((await clientCredentials(gh, 'walker-bot', secret, 'gatehouse:admin')).access_token),
    );
    const response = await fetch(`${gh.issuer}/api/admin/v1/openapi.json`);
    expect(response.status).toBe(200);
    doc = (await response.json()) as Document;
  });
  afterAll(async () => {
    await gh?.stop();
    await upstream?.close();
    await db?.drop();
  });

  /** A valid body for every operation that takes one; a new operation without one fails the walk. */
  const BODIES: Record<string, unknown> = {
    'post /users': { email: 'made@example.com', password: 'made passphrase 1', groups: ['x'] },
    'post /users/invite': { email: 'asked@example.com', name: 'Asked' },
    'patch /users/{id}': { name: 'Walter Walker' },
    'post /users/{id}/password': { password: 'another passphrase 2' },
    'post /clients': { clientId: 'walk-new', redirectUris: ['https://new.example/cb'] },
    'patch /clients/{clientId}': { name: 'Walk App' },
    'post /providers': {
      alias: 'walk-two',
      issuer: 'https://login.example.com',
      clientId: 'c',
      clientSecret: 's',
    },
    'patch /providers/{alias}': {
      displayName: 'Walk OP',
      options: { autoLink: { autoLinkExternalAccount: true } },
    },
    'post /providers/{alias}/dry-run': { sub: 'new-sub', email: 'nobody@example.com', emailVerified: true },
  };

  /** Reads before changes, deletions last (the most specific first), so each finds what it needs. */
  function operations(): Array<{ key: string; path: string; method: string; op: Operation }> {
    const rank = (method: string, path: string) =>
      method === 'get' ? 0 : method === 'delete' ? 2 + 10 - path.split('/').length : 1;
    return Object.entries(doc.paths)
      .flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, op]) => ({ key: `${method} ${path}`, path, method, op })),
      )
      .sort((a, b) => rank(a.method, a.path) - rank(b.method, b.path));
  }

  it('is an OpenAPI 3.1 document listing every route the admin router mounts', () => {
    expect(doc.openapi).toBe('3.1.0');
    const router = adminApiRouter(gh.gatehouse, { body: async (_c, n) => n(), csrf: async (_c, n) => n() });
    const mounted = router.stack.flatMap((layer) =>
      layer.methods
        .filter((m) => m !== 'HEAD')
        .map(
          (m) =>
            `${m.toLowerCase()} ${String(layer.path)
              .replace('/api/admin/v1', '')
              .replace(/:(\w+)/g, '{$1}')}`,
        ),
    );
    const documented = operations().map((o) => o.key);
    expect(mounted.filter((m) => m !== 'get /openapi.json').sort()).toEqual([...documented].sort());
    expect(documented.length).toBeGreaterThan(30);
  });

  it('answers every operation with a documented status and a body matching its schema', async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    formats.default(ajv);
    for (const { key, path, method, op } of operations()) {
      const values: Record<string, string> = { ...params, ...paramsFor[key] };
      const url = path.replace(/\{(\w+)\}/g, (_m, name: string) =>
        encodeURIComponent(values[name] ?? 'missing'),
      );
      if (op.requestBody) expect(BODIES, `no example body for ${key}`).toHaveProperty([key]);
      const answer = await machine.call(method.toUpperCase(), url, op.requestBody ? BODIES[key] : undefined);
      expect(
        Object.keys(op.responses),
        `${key} answered ${answer.status}: ${JSON.stringify(answer.json)}`,
      ).toContain(String(answer.status));
      expect(answer.status, `${key}: ${JSON.stringify(answer.json)}`).toBeLessThan(300);
      const schema = op.responses[String(answer.status)]?.content?.['application/json']?.schema;
      if (schema) {
        const valid = ajv.validate(schema, answer.json);
        expect(valid, `${key}: ${ajv.errorsText()} in ${JSON.stringify(answer.json).slice(0, 400)}`).toBe(
          true,
        );
      }
    }
  });

  it('answers a wrong body with a 400 naming the field, in the documented error shape', async () => {
    const ajv = new Ajv2020({ strict: false });
    for (const { key, path, method, op } of operations().filter((o) => o.op.requestBody)) {
      const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(params[name] ?? 'x'));
      const answer = await machine.call(method.toUpperCase(), url, { unexpectedField: 1 });
      if (answer.status === 404) continue;
      expect(answer.status, `${key}: ${JSON.stringify(answer.json)}`).toBe(400);
      expect(
        ajv.validate(op.responses['400']?.content?.['application/json']?.schema ?? {}, answer.json),
        key,
      ).toBe(true);
      expect(String(answer.json.message)).toMatch(/not valid|Nothing to change/);
    }
  });
});
