import cluster, { type Worker } from 'node:cluster';
import { loadSettings } from '../config/settings.ts';
import { createContainer } from '../container.ts';
import { announceSetupLink, serve } from '../main.ts';
import { createLogger } from './logger.ts';

/** A worker that dies sooner than this after starting is not restarted: it would only die again. */
const MIN_UPTIME_MS = 5000;

/**
 * `gatehouse serve --workers N`: N processes accept on the same port (node:cluster). Each is a full
 * Gatehouse node — all state is in the database and every node derives the same keys — so this is
 * the one-machine form of running more nodes. The primary migrates and prints the first-run link
 * once, restarts a worker that crashes, and passes SIGTERM/SIGINT on so shutdown stays graceful.
 */
export async function serveWorkers(count: number, env: NodeJS.ProcessEnv): Promise<void> {
  if (!cluster.isPrimary) {
    await serve(env, { announceSetupLink: false });
    return;
  }
  await prepareOnce(env);
  const started = new Map<Worker, number>();
  const fork = () => started.set(cluster.fork(), Date.now());
  for (let i = 0; i < count; i++) fork();
  let stopping = false;
  cluster.on('exit', (worker, code) => {
    const uptime = Date.now() - (started.get(worker) ?? 0);
    started.delete(worker);
    if (stopping) {
      if (started.size === 0) process.exit(0);
      return;
    }
    if (code !== 0 && uptime < MIN_UPTIME_MS) {
      process.stderr.write(`gatehouse: a worker failed at start (exit ${code}); stopping\n`);
      stopping = true;
      for (const w of started.keys()) w.process.kill('SIGTERM');
      process.exitCode = 1;
      if (started.size === 0) process.exit(1);
      return;
    }
    process.stderr.write(`gatehouse: a worker exited (${code}); starting another\n`);
    fork();
  });
  const stop = (signal: NodeJS.Signals) => {
    stopping = true;
    for (const worker of started.keys()) worker.process.kill(signal);
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

/** Migrations and the first-run link happen once, in the primary, before any worker starts. */
async function prepareOnce(env: NodeJS.ProcessEnv): Promise<void> {
  const settings = loadSettings(env);
  const gatehouse = await createContainer(settings, { logger: createLogger(settings) });
  try {
    await announceSetupLink(gatehouse);
  } finally {
    await gatehouse.close();
  }
}
