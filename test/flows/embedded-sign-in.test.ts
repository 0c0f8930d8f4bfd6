import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { authorize, isActive, redeem, registerApp, type TestApp, USER } from '../support/sign-in.ts';

describe('sign-in on the embedded PostgreSQL', () => {
  let gh: TestGatehouse;
  let app: TestApp;

  beforeAll(async () => {
    // No databaseUrl: the embedded database, in a temporary data directory.
    gh = await startGatehouse();
    app = await registerApp(gh);
  });

  afterAll(async () => {
    await gh?.stop();
  });

  it('keeps its data in a PostgreSQL cluster under the data directory, served on loopback and a private socket', async () => {
    expect(gh.settings.databaseUrl).toBeUndefined();
    const pgdata = join(gh.settings.dataDir, 'postgres', 'data');
    expect(existsSync(join(pgdata, 'PG_VERSION'))).toBe(true);
    // postmaster.pid: pid, data folder, start time, port, socket folder, listen address, …
    const lines = readFileSync(join(pgdata, 'postmaster.pid'), 'utf8').split('\n');
    // Gatehouse's own connections use the Unix socket in DATA_DIR/postgres/run, open to its owner only.
    const socketDir = join(gh.settings.dataDir, 'postgres', 'run');
    expect(lines[4]).toBe(socketDir);
    expect(statSync(socketDir).mode & 0o777).toBe(0o700);
    expect(lines[5]).toBe('127.0.0.1');
    const [{ address }] = (await gh.gatehouse.db.raw('SELECT inet_client_addr() AS address')).rows as [
      { address: string | null },
    ];
    expect(address).toBeNull();
    const [{ version }] = (await gh.gatehouse.db.raw('SELECT version()')).rows as [{ version: string }];
    expect(version).toMatch(/^PostgreSQL 18/);
  });

  it('signs a user in with PKCE, the login form and consent, and serves userinfo', async () => {
    const browser = new Browser();
    const authorized = await authorize(browser, app.config);
    expect(authorized.pages).toEqual(['login', 'consent']);
    expect(authorized.callback.searchParams.get('state')).toBe(authorized.request.state);

    const tokens = await redeem(app.config, authorized);
    expect(tokens.claims()).toMatchObject({
      iss: gh.issuer,
      aud: app.clientId,
      sub: app.userId,
      email: USER.email,
      nonce: authorized.request.nonce,
    });
    expect(tokens.refresh_token).toBeTruthy();

    const userinfo = await oidc.fetchUserInfo(app.config, tokens.access_token, app.userId);
    expect(userinfo).toMatchObject({
      sub: app.userId,
      email: USER.email,
      name: USER.name,
      groups: ['readers'],
    });

    const refreshed = await oidc.refreshTokenGrant(app.config, tokens.refresh_token ?? '');
    expect(await isActive(app, refreshed.access_token)).toBe(true);
  });

  it('refuses a code presented without its PKCE verifier', async () => {
    const authorized = await authorize(new Browser(), app.config);
    await expect(
      oidc.authorizationCodeGrant(app.config, authorized.callback, {
        pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
        expectedState: authorized.request.state,
      }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
