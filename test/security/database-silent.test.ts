import { connect, createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.ts';
import { freePort, startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { outageRequests } from '../support/outage-requests.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

const SECRET = 'silent client secret 0123456789';

/**
 * A TCP relay to PostgreSQL that can go silent: connections stay open and bytes are swallowed, as
 * when a database host hangs or a firewall drops packets. Nothing is refused, so only timeouts help.
 */
class SilentableRelay {
  silent = false;
  readonly #server: Server;
  readonly #pairs = new Set<[Socket, Socket]>();

  constructor(target: { host: string; port: number }) {
    this.#server = createServer((client) => {
      const upstream = connect(target.port, target.host);
      const pair: [Socket, Socket] = [client, upstream];
      this.#pairs.add(pair);
      const relay = (from: Socket, to: Socket) =>
        from.on('data', (chunk) => {
          if (!this.silent) to.write(chunk);
        });
      relay(client, upstream);
      relay(upstream, client);
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.#pairs.delete(pair);
      };
      client.on('close', close).on('error', close);
      upstream.on('close', close).on('error', close);
    });
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve) => this.#server.listen(port, '127.0.0.1', resolve));
  }

  /** Speaks again; the connections that lost bytes meanwhile are cut, as the network would. */
  resume(): void {
    this.silent = false;
    for (const [client, upstream] of this.#pairs) {
      client.destroy();
      upstream.destroy();
    }
  }

  close(): Promise<void> {
    this.resume();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/**
 * Issue 10, faults: "requests never hang past a set timeout (connection and statement_timeout),
 * including when the database stops answering instead of refusing". PostgreSQL behind a relay that
 * goes silent: every request is answered 503 with Retry-After within the timeouts, the outage is
 * logged once, and service comes back by itself.
 */
describe('PostgreSQL that stops answering', () => {
  let db: TestDatabase;
  let relay: SilentableRelay;
  let gh: TestGatehouse;
  let log = '';
  const spa = new Browser();

  beforeAll(async () => {
    db = await createTestDatabase();
    const real = new URL(db.url);
    relay = new SilentableRelay({ host: real.hostname, port: Number(real.port || 5432) });
    const port = await freePort();
    await relay.listen(port);
    const relayed = new URL(db.url);
    relayed.hostname = '127.0.0.1';
    relayed.port = String(port);
    // The embedded cluster's URL names its Unix socket (?host=dir), which would bypass the relay.
    relayed.searchParams.delete('host');
    const logStream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        log += chunk.toString('utf8');
        done();
      },
    });
    gh = await startGatehouse({
      databaseUrl: relayed.toString(),
      env: {
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
        DB_CONNECT_TIMEOUT_MS: '1000',
        DB_STATEMENT_TIMEOUT_MS: '1000',
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
  });
  afterAll(async () => {
    relay?.resume();
    await gh?.stop();
    await relay?.close();
    await db?.drop();
  });

  const { tokenRequest, api, apiLogin, page } = outageRequests(() => gh.issuer, spa, SECRET);

  it('answers 503 with Retry-After within the timeouts, logs it once, and recovers', async () => {
    expect((await tokenRequest()).status).toBe(200);
    await api().xsrfToken();
    relay.silent = true;

    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => [tokenRequest, apiLogin, page][i % 3]?.() ?? page()),
    );
    const seconds = (performance.now() - started) / 1000;
    for (const answer of answers) {
      // On failure, the error lines say why it was not a 503.
      const errors = log.split('\n').filter((line) => line.includes('"level":50'));
      expect(answer.status, `${answer.url}\n${errors.join('\n')}`).toBe(503);
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // The client-side query timeout (statement timeout + 1 s) and the connection timeout bound it.
    expect(seconds).toBeLessThan(10);
    expect(log.match(/database unavailable/g)).toHaveLength(1);
    expect(log).not.toMatch(/unhandled error|oidc-provider server error/);

    relay.resume();
    await expect
      .poll(async () => (await tokenRequest()).status, { timeout: 20_000, interval: 500 })
      .toBe(200);
    await expect.poll(() => log, { timeout: 5000 }).toContain('database available again');
  }, 60_000);
});
