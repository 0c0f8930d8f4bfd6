import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { authorizationRequest, discover } from '../support/relying-party.ts';
import { type CliOptions, cliJson, runCli } from './run-cli.ts';

interface KeyJson {
  kid: string;
  alg: string;
  state: 'active' | 'retired' | 'expired';
  expiresAt: string | null;
}

const REDIRECT_URI = 'http://127.0.0.1:9/callback';

describe('gatehouse keys', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let on: CliOptions;
  let config: oidc.Configuration;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url, env: { KEYS_REFRESH_INTERVAL_SECONDS: '1' } });
    on = { env: { DATABASE_URL: db.url } };
    // Everything the sign-in needs comes from the command, as an operator would set it up.
    const client = await cliJson<{ secret: string }>(
      ['client', 'create', '--id', 'portal', '--redirect-uri', REDIRECT_URI, '--skip-consent'],
      on,
    );
    // The password through stdin (`--password -`), kept out of the process list.
    await cliJson(['user', 'create', '--email', 'kim@example.com', '--password', '-'], {
      ...on,
      input: 'correct horse battery\n',
    });
    config = await discover(gh.issuer, 'portal', client.secret);
  });

  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  async function publishedKids(): Promise<string[]> {
    const jwks = (await (await fetch(`${gh.issuer}/jwks`)).json()) as { keys: Array<{ kid: string }> };
    return jwks.keys.map((k) => k.kid);
  }

  /** Signs in through the browser and answers the kid in the new ID token's header. */
  async function idTokenKid(): Promise<string> {
    const browser = new Browser();
    const request = await authorizationRequest(config, REDIRECT_URI);
    const login = await browser.visit(request.url.toString());
    const done = await browser.follow(
      await browser.submit(login, 'form[action$="/login"]', {
        email: 'kim@example.com',
        password: 'correct horse battery',
      }),
      (url) => url.startsWith(REDIRECT_URI),
    );
    // openid-client checks the signature against /jwks, so the new key must be published by now.
    const tokens = await oidc.authorizationCodeGrant(config, new URL(done.location ?? ''), {
      pkceCodeVerifier: request.codeVerifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    const header = JSON.parse(Buffer.from(tokens.id_token?.split('.')[0] ?? '', 'base64url').toString());
    return header.kid as string;
  }

  it('lists the published keys', async () => {
    const keys = await cliJson<KeyJson[]>(['keys', 'list'], on);
    expect(keys.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    expect(keys.every((k) => k.state === 'active' && k.expiresAt === null)).toBe(true);
    expect((await publishedKids()).sort()).toEqual(keys.map((k) => k.kid).sort());
    const table = await runCli(['keys', 'list'], on);
    expect(table.stdout).toMatch(/^KID +ALG +STATE +CREATED +UNPUBLISHED AFTER\n/);
  });

  it('rotates: a running server publishes and signs with the new keys, and keeps the old ones published', async () => {
    const oldKids = await publishedKids();
    const before = await idTokenKid();
    expect(oldKids).toContain(before);

    const keys = await cliJson<KeyJson[]>(['keys', 'rotate'], on);
    const fresh = keys.filter((k) => k.state === 'active');
    expect(fresh.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    expect(
      keys
        .filter((k) => k.state === 'retired')
        .map((k) => k.kid)
        .sort(),
    ).toEqual([...oldKids].sort());
    expect(keys.filter((k) => k.state === 'retired').every((k) => k.expiresAt !== null)).toBe(true);

    // No restart: the rotation's NOTIFY reaches the server (and it polls every second as well).
    const deadline = Date.now() + 15_000;
    let published = await publishedKids();
    while (!fresh.every((k) => published.includes(k.kid)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      published = await publishedKids();
    }
    expect(published).toEqual(expect.arrayContaining([...fresh.map((k) => k.kid), ...oldKids]));

    const after = await idTokenKid();
    // ID tokens are signed with ES256 unless a client asks for RS256.
    expect(after).toBe(fresh.find((k) => k.alg === 'ES256')?.kid);
  });
});
