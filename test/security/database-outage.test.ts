import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedCluster } from '../../src/db/embedded/cluster.ts';
import { Browser } from '../support/browser.ts';
import { freePort, startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { outageRequests } from '../support/outage-requests.ts';

const SECRET = 'outage client secret 0123456789';

/**
 * Issue 10, faults: while PostgreSQL was down every request got a 500 and one error line each. On a
 * private cluster (so that stopping it harms no other test): 503 with Retry-After, a page for people
 * and JSON for APIs, no request hanging, one log line for the outage and one for the recovery.
 */
describe('PostgreSQL stopped and started again', () => {
  let home: string;
  let cluster: EmbeddedCluster;
  let port: number;
  let gh: TestGatehouse;
  let log = '';
  const spa = new Browser();

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'gatehouse-outage-'));
    cluster = await EmbeddedCluster.open({ dataDir: home });
    await cluster.initialise();
    port = await freePort();
    await cluster.start(port);
    const logStream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        log += chunk.toString('utf8');
        done();
      },
    });
    gh = await startGatehouse({
      databaseUrl: cluster.url(port, 'postgres'),
      env: {
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
        DB_CONNECT_TIMEOUT_MS: '1000',
        DB_STATEMENT_TIMEOUT_MS: '2000',
      },
      logStream,
    });
    await gh.gatehouse.clients.create({
      clientId: 'machine',
      secret: SECRET,
      public: false,
      redirectUris: [],
      postLogoutRedirectUris: [],
      grants: ['client_credentials'],
      scopes: [],
      skipConsent: false,
    });
  }, 180_000);
  afterAll(async () => {
    await gh?.stop();
    await cluster?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  const { tokenRequest, api, apiLogin, page } = outageRequests(() => gh.issuer, spa, SECRET);

  it('answers 503 with Retry-After while it is down, logs it once, and recovers by itself', async () => {
    expect((await tokenRequest()).status).toBe(200);
    await api().xsrfToken();
    await cluster.stop();

    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => [tokenRequest, apiLogin, page][i % 3]?.() ?? page()),
    );
    const seconds = (performance.now() - started) / 1000;
    for (const answer of answers) {
      expect(answer.status, answer.url).toBe(503);
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // Nobody waited for long: refused connections fail at once, the connection timeout is 3 s.
    expect(seconds).toBeLessThan(15);
    const [token, login, html] = [answers[0], answers[1], answers[2]];
    expect(await token?.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect(await login?.json()).toMatchObject({ error: 'service_unavailable' });
    expect(html?.headers.get('content-type')).toMatch(/text\/html/);
    expect(await html?.text()).toContain('cannot reach its database');

    expect(log.match(/database unavailable/g)).toHaveLength(1);
    expect(log).not.toMatch(/unhandled error|oidc-provider server error/);

    await cluster.start(port);
    await expect
      .poll(async () => (await tokenRequest()).status, { timeout: 20_000, interval: 500 })
      .toBe(200);
    await expect.poll(() => log, { timeout: 5000 }).toContain('database available again');
  });
});
