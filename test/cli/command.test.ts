import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_SECRET_KEY } from '../support/gatehouse.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { expectOneLineError, NODE, runCli, runMany } from './run-cli.ts';

describe('the gatehouse command', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs through the package bin and prints help and its version', async () => {
    const [help, version, noArgs] = await runMany([['--help'], ['--version'], []], { viaBin: true });
    expect(help?.code).toBe(0);
    expect(help?.stdout).toMatch(/^Usage: gatehouse \[options\] \[command\]/);
    for (const command of ['serve', 'migrate', 'user', 'client', 'keys']) {
      expect(help?.stdout).toMatch(new RegExp(`\\n  ${command}\\b`));
    }
    // Where the data is: the two settings every command reads first (issue 14).
    expect(help?.stdout).toMatch(/\n {2}DATABASE_URL +PostgreSQL to use/);
    expect(help?.stdout).toMatch(/\n {2}DATA_DIR +where the embedded database/);
    expect(help?.stdout).toMatch(/\n {2}doctor\b/);
    expect(version?.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    // Without a command it shows the help, and fails: nothing was done.
    expect(noArgs?.code).toBe(2);
    expect(noArgs?.stderr).toContain('Usage: gatehouse');
  });

  it('runs as `npx gatehouse` on this machine without npm engine warnings', async () => {
    // The machine's own npm runs npx; the package's bin then runs on npm's Node 24 (devDependency).
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        'npx',
        ['--no-install', 'gatehouse', '--help'],
        { cwd: new URL('../../', import.meta.url), env: { PATH: process.env.PATH, HOME: process.env.HOME } },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Usage: gatehouse/);
    expect(result.stderr).not.toMatch(/EBADENGINE|npm warn/i);
  });

  it('refuses a Node.js older than 22.18 with one line', async () => {
    // Node reports an older version to the shim; the check must stop it before it reads TypeScript.
    const fakeOldNode =
      'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"20.20.2"})';
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(NODE, ['--import', fakeOldNode, 'bin/gatehouse.js', '--help'], (error, _stdout, stderr) =>
        resolve({ code: error ? (error.code as number) : 0, stderr }),
      );
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'gatehouse: Node.js 22.18 or newer is needed (this is v20.20.2); run it as `npx gatehouse` from the repository\n',
    );
  });

  it('names the bad setting in one line, without a stack trace', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ DATABASE_URL: 'mysql://localhost/x' }, /^gatehouse: DATABASE_URL: must be a postgres:\/\/ URL$/],
      [
        { DATABASE_URL: 'postgres://gatehouse:hunter2@127.0.0.1:1/gatehouse' },
        /^gatehouse: DATABASE_URL: cannot connect to postgres:\/\/127\.0\.0\.1:1\/gatehouse: connect ECONNREFUSED/,
      ],
      [{ SECRET_KEY: 'too-short' }, /^gatehouse: SECRET_KEY: must be at least 32 characters$/],
      [{ LOG_LEVEL: 'loud' }, /^gatehouse: LOG_LEVEL: /],
      [
        { NODE_ENV: 'production', SECRET_KEY: '' },
        /^gatehouse: SECRET_KEY: required when NODE_ENV=production/,
      ],
    ];
    const results = await Promise.all(
      cases.map(([env]) => runCli(['user', 'list'], { env: { DATA_DIR: dataDir, ...env } })),
    );
    results.forEach((result, i) => {
      const line = expectOneLineError(result);
      expect(line).toMatch(cases[i]?.[1] ?? /^$/);
      // The password in the URL is not repeated back.
      expect(line).not.toContain('hunter2');
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
    });
  });

  // A fresh embedded database is initialised and migrated by the first command: seconds of CPU.
  it('works on the embedded database when DATABASE_URL is unset', async () => {
    const env = { DATA_DIR: dataDir };
    const created = await runCli(
      ['user', 'create', '--email', 'solo@example.com', '--no-password', '--json'],
      { env },
    );
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ email: 'solo@example.com' });
    const listed = await runCli(['user', 'list', '--json'], { env });
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ email: 'solo@example.com' })]);
  }, 90_000);

  it('serves: listens, answers, and stops cleanly on SIGTERM', async () => {
    const db = await createTestDatabase();
    const server = spawn(NODE, ['src/cli.ts', 'serve'], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        SECRET_KEY: TEST_SECRET_KEY,
        DATABASE_URL: db.url,
        PORT: '0',
        HOST: '127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      // PORT=0 picks a free port and the log line says which; the first-run link is printed last,
      // after which the server is fully up (its SIGTERM handler included).
      const { port, setupLink } = await new Promise<{ port: number; setupLink: string }>(
        (resolve, reject) => {
          let out = '';
          server.stdout.on('data', (chunk: Buffer) => {
            out += chunk.toString();
            const port = /"port":(\d+).*"msg":"Gatehouse is listening"/.exec(out)?.[1];
            const setupLink = /Create the first one here.*\n\s+(http\S+)/.exec(out)?.[1];
            if (port && setupLink) resolve({ port: Number(port), setupLink });
          });
          server.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
        },
      );
      expect(setupLink).toMatch(/\/setup\/\S+$/);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      server.kill('SIGKILL');
      await db.drop();
    }
  });
});
