import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRouter } from '../../src/admin/router.ts';
import { ADMIN, sessionCaller } from '../fixtures/admin-http.ts';
import { Browser, textOf } from '../support/browser.ts';
import { consoleSignIn } from '../support/console.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

const READER = { email: 'reader@example.com', password: 'reader passphrase 1' };
const noop = async (_ctx: unknown, next: () => Promise<void>) => next();

describe('who may use /admin and /api/admin/v1', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let pages: Array<{ method: string; path: string }>;
  let operations: Array<{ method: string; path: string }>;
  const params: Record<string, string> = {};

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    const manager = gh.gatehouse.userManager;
    const admin = await manager.createUser({ ...ADMIN, groups: ['admin'] });
    await manager.createUser({ ...READER, groups: ['readers'] });
    Object.assign(params, { id: admin.id, clientId: 'gatehouse-console', alias: 'none', action: 'unlock' });
    // The pages as the console's own router mounts them, so a new page cannot escape this test.
    const router = adminRouter(gh.gatehouse, { body: noop, csrf: noop });
    pages = router.stack.flatMap((layer) =>
      layer.methods
        .filter((m) => m !== 'HEAD')
        .map((method) => ({
          method,
          path: String(layer.path).replace(/:(\w+)/g, (_m, name: string) => params[name] ?? name),
        })),
    );
    const doc = (await (await fetch(`${gh.issuer}/api/admin/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({
        method: method.toUpperCase(),
        path: path.replace(/\{(\w+)\}/g, (_m, name: string) => params[name] ?? name),
      })),
    );
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  it('shows every console page to an administrator', async () => {
    const { browser } = await consoleSignIn(gh, ADMIN, '/admin');
    const gets = pages.filter((p) => p.method === 'GET' && !p.path.endsWith('/none') && p.path !== '/admin');
    expect(gets.length).toBeGreaterThan(8);
    for (const page of gets) {
      const answer = await browser.request(`${gh.issuer}${page.path}`);
      expect(answer.status, `${page.path}: ${textOf(answer).slice(0, 300)}`).toBe(200);
      expect(answer.headers.get('content-security-policy')).toContain("default-src 'none'");
    }
  });

  it('answers 403 to a signed-in non-admin on every console page and every API operation', async () => {
    const { browser } = await consoleSignIn(gh, READER, '/account');
    for (const page of pages) {
      const answer = await browser.request(`${gh.issuer}${page.path}`, {
        method: page.method,
        ...(page.method === 'POST' ? { form: {} } : {}),
      });
      expect(answer.status, `${page.method} ${page.path}`).toBe(403);
    }
    const api = await sessionCaller(gh, READER);
    for (const op of operations) {
      const answer = await api.call(
        op.method,
        op.path,
        op.method === 'GET' || op.method === 'DELETE' ? undefined : {},
      );
      expect(answer.status, `${op.method} ${op.path}`).toBe(403);
      expect(answer.json).toMatchObject({ error: 'forbidden' });
    }
    expect(operations.length).toBeGreaterThan(30);
  });

  it('sends a visitor who is not signed in to sign in from every console page; the API answers 401', async () => {
    for (const page of pages.filter((p) => p.method === 'GET')) {
      const answer = await new Browser().request(`${gh.issuer}${page.path}`);
      expect(answer.status, page.path).toBe(302);
      expect(answer.location, page.path).toContain('/console/sign-in?returnTo=');
    }
    for (const op of operations) {
      const answer = await fetch(`${gh.issuer}/api/admin/v1${op.path}`, { method: op.method });
      expect(answer.status, `${op.method} ${op.path}`).toBe(401);
    }
  });
});
