import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startGatehouse, TEST_SECRET_KEY, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

describe('operations endpoints', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  it('answers /healthz and /readyz, with a request id on every response', async () => {
    const health = await fetch(`${gh.issuer}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect(health.headers.get('x-request-id')).toMatch(/^[\w-]{8,}$/);

    const ready = await fetch(`${gh.issuer}/readyz`, { headers: { 'x-request-id': 'trace-abc.1' } });
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    expect(ready.headers.get('x-request-id')).toBe('trace-abc.1');
  });

  it('exposes Prometheus metrics labelled by route', async () => {
    await fetch(`${gh.issuer}/.well-known/openid-configuration`);
    const metrics = await (await fetch(`${gh.issuer}/metrics`)).text();
    expect(metrics).toContain('process_cpu_user_seconds_total');
    expect(metrics).toMatch(
      /gatehouse_http_request_duration_seconds_count\{method="GET",route="discovery",status="200"\} \d+/,
    );
  });

  it('publishes both signing algorithms in /jwks without private parts', async () => {
    const { keys } = (await (await fetch(`${gh.issuer}/jwks`)).json()) as {
      keys: Array<Record<string, string>>;
    };
    expect(keys.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    for (const key of keys) expect(key).not.toHaveProperty('d');
  });
});

describe('readiness without a database', () => {
  it('answers 503 from /readyz once the database is gone, while /healthz stays up', async () => {
    const db = await createTestDatabase();
    const gh = await startGatehouse({ databaseUrl: db.url });
    try {
      await db.drop();
      const ready = await fetch(`${gh.issuer}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'unavailable' });
      expect((await fetch(`${gh.issuer}/healthz`)).status).toBe(200);
    } finally {
      await gh.stop();
    }
  });
});

describe('graceful shutdown', () => {
  it('lets a request in flight finish, refuses new connections, then closes the pool', async () => {
    const db = await createTestDatabase();
    const gh = await startGatehouse({ databaseUrl: db.url });
    const url = new URL(gh.issuer);
    try {
      // A request whose body is still arriving when shutdown starts.
      const socket = connect(Number(url.port), url.hostname);
      await new Promise((r) => socket.once('connect', r));
      const response = new Promise<string>((resolve) => {
        let data = '';
        socket.on('data', (chunk) => {
          data += chunk;
        });
        socket.on('close', () => resolve(data));
      });
      const body = 'token=abc';
      socket.write(
        `POST /token/introspection HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
      );
      await new Promise((r) => setTimeout(r, 100));
      const stopped = gh.stop();
      await new Promise((r) => setTimeout(r, 100));
      await expect(fetch(`${gh.issuer}/healthz`)).rejects.toThrow();
      socket.end(body);
      // The in-flight request got a real answer (no client credentials → 400/401), not a reset.
      expect(await response).toMatch(/^HTTP\/1\.1 (400|401) /);
      await stopped;
      await expect(gh.gatehouse.db.raw('select 1')).rejects.toThrow();
    } finally {
      await db.drop();
    }
  });

  it('exits 0 on SIGTERM when run as a process', async () => {
    const db = await createTestDatabase();
    const port = await freePort();
    let child: ChildProcess | undefined;
    try {
      child = spawn(process.execPath, ['src/main.ts'], {
        env: {
          ...process.env,
          DATABASE_URL: db.url,
          PORT: String(port),
          HOST: '127.0.0.1',
          SECRET_KEY: TEST_SECRET_KEY,
          NODE_ENV: 'test',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout?.on('data', (c) => {
        output += c;
      });
      const exited = new Promise<number | null>((r) => child?.once('exit', (code) => r(code)));
      await waitFor(() => output.includes('Gatehouse is listening'), 60_000);
      // First run on an empty database: the one-time link for the first admin is printed, just
      // after the line above (it needs a database query first). A missing link fails just below.
      await waitFor(() => output.includes('/setup/'), 10_000).catch(() => undefined);
      expect(output).toMatch(new RegExp(`http://localhost:${port}/setup/[\\w-]{40,}`));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toContain('shutting down');
    } finally {
      child?.kill('SIGKILL');
      await db.drop();
    }
  });
});

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
