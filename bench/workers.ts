import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RATE_LIMIT_NAMES } from '../src/rate-limits/policies.ts';
import { freePort, TEST_SECRET_KEY } from '../test/support/gatehouse.ts';
import type { Target } from './fixtures.ts';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

/**
 * `gatehouse serve --workers N` as an operator starts it, in its own processes, on the bench's
 * database (already seeded by the in-process target, same SECRET_KEY so client secrets decrypt).
 * Its database round trips are not counted (they happen in other processes).
 */
export async function startServeWorkers(databaseUrl: string, workers: number): Promise<Target> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [CLI, 'serve', '--workers', String(workers)], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      ISSUER: issuer,
      SECRET_KEY: TEST_SECRET_KEY,
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'warn',
      // As the in-process target: the bench measures requests, not the limits refusing them.
      ...Object.fromEntries(RATE_LIMIT_NAMES.map((name) => [`RATE_LIMIT_${name}`, '1000000/60'])),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitUntilServing(issuer, child);
  } catch (error) {
    child.kill('SIGTERM');
    throw error;
  }
  return {
    name: workers === 1 ? 'serve-1' : `serve-${workers}`,
    issuer,
    stop: () => stopChild(child),
  };
}

async function waitUntilServing(issuer: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`gatehouse serve exited with ${child.exitCode}`);
    try {
      const answer = await fetch(`${issuer}/.well-known/openid-configuration`);
      if (answer.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('gatehouse serve did not answer within 60 s');
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
