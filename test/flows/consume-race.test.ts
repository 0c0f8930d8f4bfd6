import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import {
  authorize,
  codeParams,
  isActive,
  postToken,
  redeem,
  registerApp,
  type TestApp,
} from '../support/sign-in.ts';

describe('single use of codes and refresh tokens, over HTTP on PostgreSQL', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let app: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    // Without the reuse window, so a second use of a rotated refresh token is a replay at once.
    gh = await startGatehouse({ databaseUrl: db.url, env: { REFRESH_TOKEN_REUSE_SECONDS: '0' } });
    app = await registerApp(gh);
  });

  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  it('gives tokens to exactly one of 20 parallel redemptions of one code', async () => {
    const authorized = await authorize(new Browser(), app.config);
    const params = codeParams(authorized);

    const answers = await Promise.all(Array.from({ length: 20 }, () => postToken(app, params)));

    const winners = answers.filter((a) => a.status === 200);
    expect(winners).toHaveLength(1);
    expect(winners[0]?.body).toMatchObject({
      access_token: expect.any(String),
      id_token: expect.any(String),
      refresh_token: expect.any(String),
      token_type: 'Bearer',
    });
    const losers = answers.filter((a) => a.status !== 200);
    expect(losers).toHaveLength(19);
    for (const loser of losers) {
      expect(loser).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
      expect(loser.body).not.toHaveProperty('access_token');
    }
  });

  it('refuses a redeemed code presented again and revokes the tokens issued from it', async () => {
    const authorized = await authorize(new Browser(), app.config);
    const tokens = await redeem(app.config, authorized);
    expect(await isActive(app, tokens.access_token)).toBe(true);

    const reuse = await postToken(app, codeParams(authorized));

    expect(reuse).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await isActive(app, tokens.access_token)).toBe(false);
    await expect(oidc.fetchUserInfo(app.config, tokens.access_token, app.userId)).rejects.toThrow();
    await expect(oidc.refreshTokenGrant(app.config, tokens.refresh_token ?? '')).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('revokes the whole grant when a rotated refresh token is used again', async () => {
    const tokens = await redeem(app.config, await authorize(new Browser(), app.config));
    const rotated = await oidc.refreshTokenGrant(app.config, tokens.refresh_token ?? '');
    expect(rotated.refresh_token).toBeTruthy();
    expect(rotated.refresh_token).not.toBe(tokens.refresh_token);
    expect(await isActive(app, rotated.access_token)).toBe(true);

    const reuse = await postToken(app, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token ?? '',
    });

    expect(reuse).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    // Whoever holds the newer tokens (the thief or the application) is cut off too.
    expect(await isActive(app, rotated.access_token)).toBe(false);
    expect(await isActive(app, tokens.access_token)).toBe(false);
    await expect(oidc.refreshTokenGrant(app.config, rotated.refresh_token ?? '')).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('leaves a second grant of the same user alone when one grant is revoked for reuse', async () => {
    const browser = new Browser();
    const first = await redeem(app.config, await authorize(browser, app.config));
    const other = await redeem(app.config, await authorize(new Browser(), app.config));
    await oidc.refreshTokenGrant(app.config, first.refresh_token ?? '');

    await postToken(app, { grant_type: 'refresh_token', refresh_token: first.refresh_token ?? '' });

    expect(await isActive(app, first.access_token)).toBe(false);
    expect(await isActive(app, other.access_token)).toBe(true);
    const refreshed = await oidc.refreshTokenGrant(app.config, other.refresh_token ?? '');
    expect(refreshed.access_token).toBeTruthy();
  });
});
