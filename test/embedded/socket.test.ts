import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.ts';
import { freePort } from '../support/gatehouse.ts';
import {
  createUserAt,
  postmastersOf,
  processTree,
  robotClientArgs,
  robotToken,
  type ServedGatehouse,
  serve,
  untilGone,
} from '../support/served.ts';

/**
 * The embedded cluster listens on a Unix-domain socket in a private directory, which Gatehouse's own
 * connections use (cheaper per query than TCP), and still on loopback TCP, which tools use. A
 * cluster killed with everything it ran leaves its socket behind; that must not stop the next start.
 */
describe('the embedded cluster socket', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-socket-'));
  const run = join(dataDir, 'postgres', 'run');
  const started: ServedGatehouse[] = [];

  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop('SIGKILL')));
    for (const pid of postmastersOf(dataDir)) process.kill(pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A tool's connection (as psql's): loopback TCP, the port and password from the cluster's files. */
  async function tool(): Promise<pg.Client> {
    const pid = readFileSync(join(dataDir, 'postgres', 'data', 'postmaster.pid'), 'utf8').split('\n');
    const client = new pg.Client({
      host: '127.0.0.1',
      port: Number(pid[3]),
      user: 'postgres',
      password: readFileSync(join(dataDir, 'postgres', 'password'), 'utf8').trim(),
      database: 'gatehouse',
    });
    await client.connect();
    return client;
  }

  const sockets = () => readdirSync(run).filter((n) => n.startsWith('.s.PGSQL.'));

  it('connects serve and the CLI through a private socket, tools over TCP, and restarts after kill -9', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const first = await serve({ dataDir, port });
    started.push(first);
    expect(statSync(run).mode & 0o777).toBe(0o700);
    expect((await runCli(robotClientArgs(), { env: { DATA_DIR: dataDir } })).code).toBe(0);
    expect(await createUserAt(base, await robotToken(base), 'socket@example.com')).toBe(201);

    const psql = await tool();
    try {
      const { rows } = await psql.query<{ client_addr: string | null }>(
        `SELECT client_addr FROM pg_stat_activity
          WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`,
      );
      // serve's lease, its LISTEN connection and its pool: all on the socket (no client address).
      expect(rows.length).toBeGreaterThanOrEqual(2);
      expect(rows.map((r) => r.client_addr)).toEqual(rows.map(() => null));
      const self = await psql.query('SELECT client_addr FROM pg_stat_activity WHERE pid = pg_backend_pid()');
      expect(self.rows[0]?.client_addr).toBe('127.0.0.1');
    } finally {
      await psql.end();
    }

    // kill -9 of Gatehouse and of the whole cluster: the socket and its lock file stay behind.
    const [postmaster] = postmastersOf(dataDir);
    const cluster = postmaster ? processTree(postmaster) : [];
    first.child.kill('SIGKILL');
    for (const pid of cluster) process.kill(pid, 'SIGKILL');
    await first.exited;
    expect(await untilGone(cluster)).toEqual([]);
    const stale = sockets();
    expect(stale.length).toBeGreaterThanOrEqual(2);

    const second = await serve({ dataDir, port });
    started.push(second);
    const listed = await runCli(['user', 'list', '--json'], { env: { DATA_DIR: dataDir } });
    expect(listed.stdout).toContain('socket@example.com');
    // Only the new postmaster's socket and lock file are left.
    expect(sockets()).toHaveLength(2);

    const [again] = postmastersOf(dataDir);
    expect(await second.stop('SIGTERM')).toBe(0);
    expect(await untilGone(again ? [again] : [])).toEqual([]);
    expect(sockets()).toEqual([]);
  }, 240_000);
});
