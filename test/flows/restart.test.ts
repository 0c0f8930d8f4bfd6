import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.ts';
import { freePort, type StartOptions, startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { authorize, isActive, redeem, registerApp, type TestApp, USER } from '../support/sign-in.ts';

interface Storage {
  name: string;
  /** Where both the first and the second Gatehouse keep their state. */
  prepare(): Promise<{ options: StartOptions; cleanup(): Promise<void> }>;
}

const storages: Storage[] = [
  {
    name: 'PostgreSQL',
    async prepare() {
      const database = await createTestDatabase();
      return { options: { databaseUrl: database.url }, cleanup: () => database.drop() };
    },
  },
  {
    // Gatehouse's own cluster under DATA_DIR: the first node stops it, the second starts it again.
    name: 'embedded PostgreSQL',
    async prepare() {
      const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-restart-'));
      return {
        options: { dataDir },
        cleanup: async () => rmSync(dataDir, { recursive: true, force: true }),
      };
    },
  },
];

describe.each(storages)('tokens and sessions survive a restart on $name', (storage) => {
  let cleanup: () => Promise<void>;
  let gh: TestGatehouse | undefined;
  let app: TestApp;
  let browser: Browser;
  let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

  beforeAll(async () => {
    const prepared = await storage.prepare();
    cleanup = prepared.cleanup;
    // The same port after the restart keeps the issuer, which every token and cookie names.
    const options = { ...prepared.options, port: await freePort() };
    gh = await startGatehouse(options);
    const issuerBefore = gh.issuer;
    app = await registerApp(gh);
    browser = new Browser();
    tokens = await redeem(app.config, await authorize(browser, app.config));

    await gh.stop();
    gh = undefined;
    gh = await startGatehouse(options);
    expect(gh.issuer).toBe(issuerBefore);
  });

  afterAll(async () => {
    await gh?.stop();
    await cleanup?.();
  });

  it('accepts an access token issued before the restart at userinfo and introspection', async () => {
    const userinfo = await oidc.fetchUserInfo(app.config, tokens.access_token, app.userId);
    expect(userinfo).toMatchObject({ sub: app.userId, email: USER.email });
    expect(await isActive(app, tokens.access_token)).toBe(true);
  });

  it('refreshes with a refresh token issued before the restart', async () => {
    const refreshed = await oidc.refreshTokenGrant(app.config, tokens.refresh_token ?? '');
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    const userinfo = await oidc.fetchUserInfo(app.config, refreshed.access_token, app.userId);
    expect(userinfo.sub).toBe(app.userId);
  });

  it('keeps the browser signed in: a new authorization returns to the application at once', async () => {
    const authorized = await authorize(browser, app.config);
    expect(authorized.pages).toEqual([]);
    // The code is real and the ID token is signed with a key the application already trusts.
    const again = await redeem(app.config, authorized);
    // The same sign-in, not a new one: the authentication time is the one from before the restart.
    const signedInAt = tokens.claims()?.auth_time;
    expect(signedInAt).toEqual(expect.any(Number));
    expect(again.claims()).toMatchObject({ sub: app.userId, auth_time: signedInAt });
  });
});
