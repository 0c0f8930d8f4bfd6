import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.ts';
import { freePort, startGatehouse, TEST_SECRET_KEY, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

/**
 * Issue 10: /metrics was public. With MANAGEMENT_PORT (as Keycloak's management interface) the
 * metrics and health endpoints have a listener of their own that the operator keeps off the public
 * network, and the public port no longer serves /metrics at all.
 */
describe('the management port', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let management: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const port = await freePort();
    management = `http://127.0.0.1:${port}`;
    gh = await startGatehouse({ databaseUrl: db.url, env: { MANAGEMENT_PORT: String(port) } });
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  it('serves /metrics there and no longer on the public port', async () => {
    expect((await fetch(`${gh.issuer}/.well-known/openid-configuration`)).status).toBe(200);
    expect((await fetch(`${gh.issuer}/metrics`)).status).toBe(404);
    const metrics = await fetch(`${management}/metrics`);
    expect(metrics.status).toBe(200);
    // One registry: the public port's requests are what the management port reports.
    expect(await metrics.text()).toMatch(
      /gatehouse_http_request_duration_seconds_count\{[^}]*route="discovery"/,
    );
  });

  it('serves /healthz and /readyz there, and on the public port for load balancers', async () => {
    for (const base of [management, gh.issuer]) {
      expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
      expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready' });
    }
  });

  it('serves nothing else: no pages, no OIDC, no APIs', async () => {
    for (const path of ['/', '/.well-known/openid-configuration', '/api/auth/password-config', '/admin']) {
      const answer = await fetch(`${management}${path}`, { redirect: 'manual' });
      expect(answer.status, path).toBe(404);
      expect(answer.headers.get('set-cookie'), path).toBeNull();
    }
  });

  it('refuses a management port that is the public port', () => {
    expect(() =>
      loadSettings({ NODE_ENV: 'test', SECRET_KEY: TEST_SECRET_KEY, PORT: '4000', MANAGEMENT_PORT: '4000' }),
    ).toThrow(/^MANAGEMENT_PORT: must differ from PORT/);
  });
});
