import { type ChildProcess, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { freePort, TEST_SECRET_KEY } from '../support/gatehouse.ts';
import { createTestDatabase } from '../support/postgres.ts';

interface Running {
  port: number;
  output: () => string;
  /** What the process wrote to stderr, to say why when it did not exit 0. */
  errors: () => string;
  stop(): Promise<number | null>;
}

/** `node src/main.ts` as an operator runs it, its stdout captured (a pipe: not a terminal). */
async function runServer(databaseUrl: string, env: Record<string, string> = {}): Promise<Running> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['src/main.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      SECRET_KEY: TEST_SECRET_KEY,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c) => {
    output += c;
  });
  let errors = '';
  child.stderr?.on('data', (c) => {
    errors += c;
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await waitFor(() => output.includes('Gatehouse is listening'), 60_000);
  return {
    port,
    output: () => output,
    errors: () => errors,
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      child.kill('SIGKILL');
      return code;
    },
  };
}

describe('logs people and collectors can read', () => {
  it('writes JSON with ISO times when stdout is not a terminal, says why an authorization was refused, and ends with "stopped"', async () => {
    const db = await createTestDatabase();
    try {
      const server = await runServer(db.url);
      const redirectUri = 'https://app.example.com/cb';
      await fetch(
        `http://127.0.0.1:${server.port}/auth?client_id=no-such-app&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(redirectUri)}`,
      );
      expect(await server.stop(), server.errors()).toBe(0);
      const lines = server
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.length).toBeGreaterThan(2);
      for (const line of lines) expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const refused = lines.find((l) => l.msg === 'authorization refused');
      expect(refused).toMatchObject({
        clientId: 'no-such-app',
        error: 'invalid_client',
        description: expect.stringMatching(/client/),
        redirectUri,
        requestId: expect.any(String),
      });
      expect(lines.at(-1)).toMatchObject({ msg: 'stopped', signal: 'SIGTERM' });
    } finally {
      await db.drop();
    }
  });

  it('writes readable lines with LOG_FORMAT=pretty', async () => {
    const db = await createTestDatabase();
    try {
      const server = await runServer(db.url, { LOG_FORMAT: 'pretty' });
      expect(await server.stop(), server.errors()).toBe(0);
      const lines = server.output().trim().split('\n');
      expect(lines.some((l) => l.startsWith('{'))).toBe(false);
      expect(server.output()).toMatch(
        /\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d{4}\] INFO .*Gatehouse is listening/,
      );
      expect(lines.filter((l) => /INFO/.test(l)).at(-1)).toMatch(/stopped/);
    } finally {
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
