import cluster, { type Worker } from 'node:cluster';
import { loadSettings } from '../config/settings.ts';
import { createContainer } from '../container.ts';
import { type OpenDatabase, openDatabase } from '../db/database.ts';
import { announceSetupLink, serve } from '../main.ts';
import { createLogger } from './logger.ts';

/** A worker that dies sooner than this after starting is not restarted: it would only die again. */
const MIN_UPTIME_MS = 5000;

/**
 * `gatehouse serve --workers N`: N processes accept on the same port (node:cluster). Each is a full
 * Gatehouse node — all state is in the database and every node derives the same keys — so this is
 * the one-machine form of running more nodes. The primary migrates and prints the first-run link
 * once, restarts a worker that crashes, and passes SIGTERM/SIGINT on so shutdown stays graceful.
 * On the embedded database the primary holds the cluster from before the first worker starts until
 * after the last one stops, so it is started once and stopped once, after every worker.
 */
export async function serveWorkers(count: number, env: NodeJS.ProcessEnv): Promise<void> {
  if (!cluster.isPrimary) {
    await serve(env, { announceSetupLink: false });
    return;
  }
  const settings = loadSettings(env);
  const database = await openDatabase(settings, createLogger(settings));
  try {
    await prepareOnce(env);
  } catch (error) {
    await database.close();
    throw error;
  }
  const started = new Map<Worker, number>();
  const fork = () => started.set(cluster.fork(), Date.now());
  for (let i = 0; i < count; i++) fork();
  let stopping = false;
  cluster.on('exit', (worker, code) => {
    const uptime = Date.now() - (started.get(worker) ?? 0);
    started.delete(worker);
    if (stopping) {
      if (started.size === 0) void finish(database, 0);
      return;
    }
    if (code !== 0 && uptime < MIN_UPTIME_MS) {
      process.stderr.write(`gatehouse: a worker failed at start (exit ${code}); stopping\n`);
      stopping = true;
      for (const w of started.keys()) w.process.kill('SIGTERM');
      process.exitCode = 1;
      if (started.size === 0) void finish(database, 1);
      return;
    }
    process.stderr.write(`gatehouse: a worker exited (${code}); starting another\n`);
    fork();
  });
  // Once: workers that are already draining are not signalled again (see main.ts).
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    for (const worker of started.keys()) worker.process.kill(signal);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** After the last worker: lets go of the database (stopping the embedded cluster), then exits. */
async function finish(database: OpenDatabase, code: number): Promise<never> {
  await database.close().catch((error: unknown) => {
    process.stderr.write(`gatehouse: stopping the database failed: ${String(error)}\n`);
  });
  process.exit(code);
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
