import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { authorize, isActive, postToken, redeem, registerApp, type TestApp } from '../support/sign-in.ts';

/**
 * Issue 10's crash-safe rotation: the writes of one token request commit together or not at all,
 * and a client that never received the answer may present its refresh token again for a while.
 */
describe('refresh-token rotation, crash-safe, over HTTP on PostgreSQL', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let app: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url, env: { REFRESH_TOKEN_REUSE_SECONDS: '60' } });
    app = await registerApp(gh);
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  const signIn = async () => redeem(app.config, await authorize(new Browser(), app.config));
  const refresh = (token: string) => postToken(app, { grant_type: 'refresh_token', refresh_token: token });
  const countRows = async (model: string) => {
    const [row] = await gh.gatehouse.db('oidc_payloads').where({ model }).count<Array<{ count: string }>>();
    return Number(row?.count);
  };

  it('answers a retry with the same refresh token inside the reuse window, without revoking', async () => {
    const tokens = await signIn();
    const first = await refresh(tokens.refresh_token ?? '');
    expect(first.status).toBe(200);
    // The client never saw `first` (the connection dropped) and tries again with what it holds.
    const retry = await refresh(tokens.refresh_token ?? '');
    expect(retry).toMatchObject({ status: 200, body: { access_token: expect.any(String) } });
    expect(retry.body.refresh_token).not.toBe(first.body.refresh_token);
    expect(await isActive(app, String(retry.body.access_token))).toBe(true);
    expect(await isActive(app, String(first.body.access_token))).toBe(true);
    const onwards = await refresh(String(retry.body.refresh_token));
    expect(onwards.status).toBe(200);
  });

  it('commits nothing when a write of the token request fails: the refresh token stays unused', async () => {
    const tokens = await signIn();
    const accessTokensBefore = await countRows('AccessToken');
    const refreshTokensBefore = await countRows('RefreshToken');
    // A real database fault, in the middle of the request's writes: storing the access token fails.
    await gh.gatehouse.db.raw(`
      CREATE FUNCTION refuse_access_token() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'injected fault: access token write refused'; END $$;
      CREATE TRIGGER refuse_access_token BEFORE INSERT ON oidc_payloads
        FOR EACH ROW WHEN (NEW.model = 'AccessToken') EXECUTE FUNCTION refuse_access_token();`);
    try {
      const failed = await fetch(app.config.serverMetadata().token_endpoint ?? '', {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${app.clientId}:${app.secret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' }),
      });
      expect(failed.status).toBe(500);
    } finally {
      await gh.gatehouse.db.raw(
        'DROP TRIGGER refuse_access_token ON oidc_payloads; DROP FUNCTION refuse_access_token();',
      );
    }

    // Nothing of the failed request is left: no new refresh token, the old one not consumed.
    expect(await countRows('AccessToken')).toBe(accessTokensBefore);
    expect(await countRows('RefreshToken')).toBe(refreshTokensBefore);
    const old = await gh.gatehouse
      .db('oidc_payloads')
      .where({ model: 'RefreshToken', id: tokens.refresh_token ?? '' })
      .first();
    expect(old?.consumed_at).toBeNull();
    // So the client's retry is a first use: it gets tokens, and the grant is intact.
    const retry = await refresh(tokens.refresh_token ?? '');
    expect(retry.status).toBe(200);
    expect(await isActive(app, tokens.access_token)).toBe(true);
  });

  it('signs ID tokens with ES256 by default and still offers RS256', async () => {
    const tokens = await signIn();
    const header = JSON.parse(Buffer.from(tokens.id_token?.split('.')[0] ?? '', 'base64url').toString());
    expect(header.alg).toBe('ES256');
    expect(app.config.serverMetadata().id_token_signing_alg_values_supported).toEqual(
      expect.arrayContaining(['ES256', 'RS256']),
    );
  });

  it('still revokes the grant when a rotated token comes back after the window', async () => {
    const tokens = await signIn();
    const rotated = await oidc.refreshTokenGrant(app.config, tokens.refresh_token ?? '');
    // Age the first use past the window, as if the retry came 61 seconds later.
    await gh.gatehouse
      .db('oidc_payloads')
      .where({ model: 'RefreshToken', id: tokens.refresh_token ?? '' })
      .update({ consumed_at: gh.gatehouse.db.raw("now() - interval '61 seconds'") });

    const replay = await refresh(tokens.refresh_token ?? '');

    expect(replay).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await isActive(app, rotated.access_token)).toBe(false);
    await expect(oidc.refreshTokenGrant(app.config, rotated.refresh_token ?? '')).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });
});
