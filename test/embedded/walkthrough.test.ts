import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.ts';
import { Browser } from '../support/browser.ts';
import { freePort } from '../support/gatehouse.ts';
import {
  postmastersOf,
  processTree,
  rssMegabytes,
  type ServedGatehouse,
  serve,
  untilGone,
} from '../support/served.ts';
import { authorize, redeem, USER } from '../support/sign-in.ts';
import { TEST_REDIRECT_URI } from '../support/sign-in-flow.ts';

/**
 * The README's walk-through, to the letter, on the embedded database: `serve` in one terminal,
 * `gatehouse user create` and `client create` in another while it runs, then a real sign-in with
 * that client and user — no restart in between.
 */
describe('the README walk-through on the embedded database', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-walkthrough-'));
  let served: ServedGatehouse | undefined;

  afterAll(async () => {
    await served?.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('signs in with a client and user created by commands while the server runs', async () => {
    const port = await freePort();
    served = await serve({ dataDir, port, expectSetupLink: true });
    expect(served.setupLink).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/setup/\\S+$`));
    const [postmaster] = postmastersOf(dataDir);
    expect(postmastersOf(dataDir)).toHaveLength(1);

    const cli = { env: { DATA_DIR: dataDir } };
    const user = await runCli(
      ['user', 'create', '--email', USER.email, '--name', USER.name, '--password', USER.password],
      cli,
    );
    expect(user.code, user.stderr).toBe(0);
    const secret = 'demo-secret-0123456789abcdefghijklmnopqrstuv';
    const client = await runCli(
      [
        'client',
        'create',
        '--id',
        'demo',
        '--redirect-uri',
        TEST_REDIRECT_URI,
        '--skip-consent',
        '--secret',
        secret,
      ],
      cli,
    );
    expect(client.code, client.stderr).toBe(0);
    // The commands joined the server's cluster and left it running.
    expect(postmastersOf(dataDir)).toEqual([postmaster]);

    const issuer = `http://127.0.0.1:${port}`;
    const config = await oidc.discovery(new URL(issuer), 'demo', undefined, oidc.ClientSecretBasic(secret), {
      execute: [oidc.allowInsecureRequests],
    });
    const authorized = await authorize(new Browser(), config);
    expect(authorized.pages).toEqual(['login']);
    const tokens = await redeem(config, authorized);
    const sub = tokens.claims()?.sub ?? '';
    expect(tokens.claims()).toMatchObject({ iss: issuer, aud: 'demo', email: USER.email });
    expect(await oidc.fetchUserInfo(config, tokens.access_token, sub)).toMatchObject({ email: USER.email });

    // At idle after one sign-in, Gatehouse and its cluster together stay well below PGlite's ~620 MB.
    await new Promise((r) => setTimeout(r, 2000));
    const rss = rssMegabytes([...processTree(served.child.pid ?? 0), ...processTree(postmaster ?? 0)]);
    expect(rss).toBeLessThan(620);

    expect(await served.stop('SIGTERM')).toBe(0);
    expect(await untilGone(postmaster ? [postmaster] : [])).toEqual([]);
    // Processes, each loading Gatehouse, and a first initdb: minutes on a busy two-core machine.
  }, 240_000);
});
