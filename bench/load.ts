import { fork } from 'node:child_process';
import type { FlowTarget } from './browser-flow.ts';

/** One HTTP request, repeated by autocannon; `bodies`, when given, are used once each, in order. */
export interface HttpJob {
  kind: 'http';
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  bodies?: string[];
  connections: number;
  /** Either a duration or, with `bodies`, exactly one request per body. */
  seconds?: number;
  /** Requests per second over all connections (the soak's fixed rate); unset: as fast as answered. */
  rate?: number;
}

/** Whole browser sign-ins, each timed from /auth to the token response. */
export interface FlowJob {
  kind: 'flow';
  target: FlowTarget;
  emails: string[];
  connections: number;
  seconds: number;
}

export type LoadJob = HttpJob | FlowJob;

export interface LoadResult {
  /** Completed requests (for flows: completed sign-ins). */
  completed: number;
  seconds: number;
  p50: number;
  p99: number;
  /** Connection errors, timeouts and responses with an unexpected status. */
  errors: number;
  firstError?: string;
}

/**
 * Runs the load generator in a child process: the servers under test live on this process's event
 * loop, and a generator on the same loop (or heap) would steal their time and queue behind them.
 * Not a worker thread: autocannon takes any worker thread for one of its own and skips its summary.
 */
export function runLoad(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./load-process.ts', import.meta.url), { stdio: 'inherit' });
    let result: LoadResult | undefined;
    child.once('message', (message: LoadResult) => {
      result = message;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (result && code === 0) resolve(result);
      else reject(new Error(`load generator exited with ${code} and no result`));
    });
    child.send(job);
  });
}

/** Percentile by nearest rank; the flow scenario has hundreds of samples, not millions. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}
