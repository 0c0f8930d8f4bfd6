import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, vi } from 'vitest';
import { TEST_SECRET_KEY } from '../support/gatehouse.ts';

// Every command is a child process that loads Node, the TypeScript sources and oidc-provider (1-4 s on
// a busy 2-core machine), and a test runs several in turn: the suite's 30 s is for in-process tests.
vi.setConfig({ testTimeout: 480_000 });

const root = fileURLToPath(new URL('../../', import.meta.url));
/** npm's Node 24, as `npx gatehouse` uses; the machine's own `node` may be too old. */
export const NODE = `${root}node_modules/.bin/node`;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  /** Run through `bin/gatehouse.js` (the package's `bin`) instead of `src/cli.ts`. */
  viaBin?: boolean;
  /** Written to the command's stdin, which is then closed. */
  input?: string;
}

/**
 * Runs the real command in a child process, as an operator would, with a clean environment: only the
 * settings given here, so the developer's own DATABASE_URL or LOG_LEVEL cannot leak in.
 */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'test',
    SECRET_KEY: TEST_SECRET_KEY,
    ...options.env,
  };
  const entry = options.viaBin ? 'bin/gatehouse.js' : 'src/cli.ts';
  return new Promise((resolve) => {
    const child = execFile(
      NODE,
      [entry, ...args],
      { cwd: root, env, timeout: 240_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(options.input ?? '');
  });
}

/** Runs a command that must succeed and answers its `--json` output. */
export async function cliJson<T>(args: string[], options: CliOptions = {}): Promise<T> {
  const result = await runCli([...args, '--json'], options);
  if (result.code !== 0) {
    throw new Error(`gatehouse ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`);
  }
  return JSON.parse(result.stdout) as T;
}

/** The shape of every failure: a non-zero status and exactly one line on stderr, no stack trace. */
export function expectOneLineError(result: CliResult): string {
  const lines = result.stderr.split('\n').filter(Boolean);
  if (result.code === 0 || lines.length !== 1 || !lines[0]?.startsWith('gatehouse: ')) {
    throw new Error(`expected one "gatehouse: …" line and a failure status, got ${JSON.stringify(result)}`);
  }
  return lines[0];
}

/** Runs several commands, a few at a time: each child takes a core while it loads. */
export async function runMany(
  commands: string[][],
  options: CliOptions = {},
  parallel = 3,
): Promise<CliResult[]> {
  const results: CliResult[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < commands.length; i = next++) {
      results[i] = await runCli(commands[i] ?? [], options);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return results;
}

/** A command that must be refused: its arguments, what its one stderr line says, its exit status. */
export type Refusal = [args: string[], message: RegExp, code: number];

/** Runs every command of `refusals`; each must fail with its one line and its status, printing nothing. */
export async function expectRefusals(refusals: Refusal[], options: CliOptions = {}): Promise<void> {
  const results = await runMany(
    refusals.map(([args]) => args),
    options,
  );
  results.forEach((result, i) => {
    const [args, pattern, code] = refusals[i] ?? [[], /^$/, 0];
    expect(expectOneLineError(result), args.join(' ')).toMatch(pattern);
    expect(result.code, args.join(' ')).toBe(code);
    expect(result.stdout, args.join(' ')).toBe('');
  });
}
