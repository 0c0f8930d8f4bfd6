import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { discover } from '../support/relying-party.ts';
import { registerTestApp, signInWithPassword } from '../support/sign-in-flow.ts';

const POST_LOGOUT = 'http://127.0.0.1:9/bye';

/**
 * docs/operations.md's scale-out promise: nodes are stateless and share cookie keys, so any node carries on
 * where another left off. Node B runs behind the same issuer as A (as behind a load balancer).
 */
describe('two nodes on one database', () => {
  let db: TestDatabase;
  let a: TestGatehouse;
  let b: TestGatehouse;
  let configA: oidc.Configuration;

  beforeAll(async () => {
    db = await createTestDatabase();
    a = await startGatehouse({ databaseUrl: db.url });
    b = await startGatehouse({ databaseUrl: db.url, env: { ISSUER: a.issuer } });
    await a.gatehouse.userManager.createUser({
      email: 'node@example.com',
      password: 'correct horse battery',
    });
    configA = await registerTestApp(a, {
      postLogoutRedirectUris: [POST_LOGOUT],
      grants: ['authorization_code', 'refresh_token'],
    });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await db?.drop();
  });

  it('signs in through A, refreshes on B, signs out on B, and A no longer accepts the tokens', async () => {
    const browser = new Browser();
    const started = await signInWithPassword(browser, configA, {
      email: 'node@example.com',
      password: 'correct horse battery',
    });
    const tokens = await started.finish(started.page);

    // Node B: same issuer, its own port. Requests go to B's address as a load balancer would send them.
    const bBase = `http://127.0.0.1:${b.settings.port}`;
    const configB = await discover(a.issuer, 'app');
    const viaB = (url: URL | string) => new URL(String(url).replace(a.issuer, bBase));
    configB[oidc.customFetch] = (url, options) => fetch(viaB(url), options as RequestInit);
    const refreshed = await oidc.refreshTokenGrant(configB, tokens.refresh_token ?? '');
    expect(refreshed.access_token).toBeTruthy();

    // The browser's session cookie works on B: its logout confirmation ends the session everywhere.
    const endSession = oidc.buildEndSessionUrl(configA, {
      id_token_hint: tokens.id_token ?? '',
      post_logout_redirect_uri: POST_LOGOUT,
    });
    const confirm = await browser.request(viaB(endSession).href, {
      headers: { cookie: await browser.jar.getCookieString(a.issuer) },
    });
    expect(confirm.body).toContain('Signing you out');
    const form = confirm.body.match(/name="xsrf" value="([^"]+)"/)?.[1] ?? '';
    const done = await browser.request(`${bBase}/session/end/confirm`, {
      form: { xsrf: form, logout: 'yes' },
      headers: { cookie: await browser.jar.getCookieString(a.issuer) },
    });
    expect(done.location).toBe(POST_LOGOUT);

    const introspectOnA = await fetch(`${a.issuer}/token/introspection`, {
      method: 'POST',
      body: new URLSearchParams({ token: refreshed.access_token, client_id: 'app' }),
    });
    expect(await introspectOnA.json()).toMatchObject({ active: false });
    await expect(oidc.refreshTokenGrant(configA, refreshed.refresh_token ?? '')).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });
});
