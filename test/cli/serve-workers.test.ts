import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { freePort, TEST_SECRET_KEY } from '../support/gatehouse.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { NODE } from './run-cli.ts';

describe('gatehouse serve --workers', () => {
  it('runs N processes on one port, prints the first-run link once, and stops on SIGTERM', async () => {
    const db = await createTestDatabase();
    const port = await freePort();
    const server = spawn(NODE, ['src/cli.ts', 'serve', '--workers', '2'], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        SECRET_KEY: TEST_SECRET_KEY,
        DATABASE_URL: db.url,
        PORT: String(port),
        HOST: '127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    server.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    try {
      const deadline = Date.now() + 60_000;
      while ((out.match(/"msg":"Gatehouse is listening"/g) ?? []).length < 2) {
        if (Date.now() > deadline || server.exitCode !== null)
          throw new Error(`workers did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const pids = new Set(
        [...out.matchAll(/"pid":(\d+)[^\n]*"msg":"Gatehouse is listening"/g)].map((m) => m[1]),
      );
      expect(pids.size).toBe(2);
      expect(out.match(/Create the first one here/g)).toHaveLength(1);
      const link = /Create the first one here.*\n\s+(http\S+)/.exec(out)?.[1] ?? '';
      // The one link printed is the one that works (no worker replaced it with its own).
      const setup = await fetch(link.replace(/^http:\/\/localhost:\d+/, `http://127.0.0.1:${port}`));
      expect(setup.status).toBe(200);
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => fetch(`http://127.0.0.1:${port}/healthz`)),
      );
      expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);

      const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      server.kill('SIGKILL');
      await db.drop();
    }
  }, 90_000);
});
