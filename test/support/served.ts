import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE } from '../cli/run-cli.ts';
import { TEST_SECRET_KEY } from './gatehouse.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** A `gatehouse serve` (or `npm start`) running as its own process, as an operator starts it. */
export interface ServedGatehouse {
  child: ChildProcess;
  port: number;
  /** The first-run link it printed, if it printed one. */
  setupLink: string | undefined;
  output(): string;
  /** Sends `signal` and answers the exit code once the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export interface ServeOptions {
  dataDir: string;
  port: number;
  /** The issuer every node shares (as behind a load balancer); default this node's own URL. */
  issuer?: string;
  workers?: number;
  /** Run `npm start` instead of `node src/cli.ts serve`. */
  viaNpm?: boolean;
  /** Also wait for the first-run link (printed just after the listening line). */
  expectSetupLink?: boolean;
  env?: Record<string, string>;
}

/** The environment a test gives a served Gatehouse: the embedded database under `dataDir`. */
export function servedEnv(
  options: Pick<ServeOptions, 'dataDir' | 'port' | 'issuer'>,
): Record<string, string> {
  return {
    PATH: `${root}node_modules/.bin:${process.env.PATH ?? ''}`,
    HOME: process.env.HOME ?? '/tmp',
    NODE_ENV: 'test',
    SECRET_KEY: TEST_SECRET_KEY,
    DATA_DIR: options.dataDir,
    PORT: String(options.port),
    HOST: '127.0.0.1',
    ISSUER: options.issuer ?? `http://127.0.0.1:${options.port}`,
    LOG_LEVEL: 'info',
    USER_MINIMUM_FAILED_LOGIN_DURATION_MS: '100',
  };
}

/** Starts it and waits until it listens (and printed its first-run link, when it prints one). */
export async function serve(options: ServeOptions): Promise<ServedGatehouse> {
  const args = options.viaNpm
    ? ['start']
    : ['src/cli.ts', 'serve', ...(options.workers ? ['--workers', String(options.workers)] : [])];
  const child = spawn(options.viaNpm ? 'npm' : NODE, args, {
    cwd: root,
    env: { ...servedEnv(options), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const listening = new RegExp(`(Gatehouse is listening[\\s\\S]*){${options.workers ?? 1}}`);
  const link = /Create the first one here.*\n\s+(http\S+)/;
  await waitFor(
    () => listening.test(out) && (!options.expectSetupLink || link.test(out)),
    exited,
    () => out,
  );
  return {
    child,
    port: options.port,
    get setupLink() {
      return link.exec(out)?.[1];
    },
    output: () => out,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

async function waitFor(
  ready: () => boolean,
  exited: Promise<number | null>,
  out: () => string,
): Promise<void> {
  let gone: number | null | undefined;
  void exited.then((code) => {
    gone = code;
  });
  const deadline = Date.now() + 120_000;
  while (!ready()) {
    if (gone !== undefined) throw new Error(`serve exited with ${gone}: ${out()}`);
    if (Date.now() > deadline) throw new Error(`serve did not start in time: ${out()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The postmaster that holds the cluster under `dataDir`, if one is running. */
export function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number.parseInt(
      readFileSync(join(dataDir, 'postgres', 'data', 'postmaster.pid'), 'utf8'),
      10,
    );
    return isRunning(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Every PostgreSQL server process whose command line names this data folder (there must be at most one). */
export function postmastersOf(dataDir: string): number[] {
  const pgdata = join(dataDir, 'postgres', 'data');
  const lines = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).split('\n');
  return lines
    .filter((line) => line.includes('bin/postgres') && line.includes(pgdata))
    .map((line) => Number.parseInt(line.trim(), 10));
}

/** The pids of `pid` and all its descendants, as `ps` sees them now. */
export function processTree(pid: number): number[] {
  const lines = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' }).trim().split('\n');
  const children = new Map<number, number[]>();
  for (const line of lines) {
    const [child, parent] = line.trim().split(/\s+/).map(Number);
    if (child === undefined || parent === undefined) continue;
    children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i] ?? 0) ?? []));
  return tree;
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until none of `pids` runs any more; answers those still running at the deadline. */
export async function untilGone(pids: number[], timeoutMs = 30_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = pids.filter(isRunning);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const ROBOT = { id: 'robot', secret: 'robot-secret-0123456789abcdefghijklmnop' };

/** `gatehouse client create` for a machine client allowed the admin API, run as its own process. */
export function robotClientArgs(): string[] {
  return [
    'client',
    'create',
    '--id',
    ROBOT.id,
    '--grant',
    'client_credentials',
    '--scope',
    'gatehouse:admin',
    '--secret',
    ROBOT.secret,
  ];
}

/** An admin-API bearer token from the node at `base`. */
export async function robotToken(base: string): Promise<string> {
  const response = await fetch(`${base}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${ROBOT.id}:${ROBOT.secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'gatehouse:admin' }),
  });
  const json = (await response.json()) as { access_token?: string };
  if (!json.access_token) throw new Error(`no token: ${JSON.stringify(json)}`);
  return json.access_token;
}

/** POST /api/admin/v1/users on the node at `base`; answers the status (201 when acknowledged). */
export async function createUserAt(base: string, token: string, email: string): Promise<number> {
  const response = await fetch(`${base}/api/admin/v1/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'correct horse battery' }),
  });
  await response.arrayBuffer();
  return response.status;
}

/** Resident memory of these processes together, in MB, as `ps` reports it (shared pages counted in each). */
export function rssMegabytes(pids: number[]): number {
  const out = execFileSync('ps', ['-o', 'rss=', '-p', pids.join(',')], { encoding: 'utf8' });
  const kb = out
    .split('\n')
    .map((line) => Number.parseInt(line.trim(), 10))
    .filter(Number.isFinite)
    .reduce((a, b) => a + b, 0);
  return Math.round(kb / 1024);
}
