import { loadSettings, SettingsError } from './config/settings.ts';
import { createContainer, type Gatehouse } from './container.ts';
import { createLogger } from './operations/logger.ts';
import { type RunningServer, startServer } from './server.ts';

/** Process entry: settings → database → app → listen; stops gracefully on SIGTERM/SIGINT. */
export async function serve(
  env: NodeJS.ProcessEnv = process.env,
  options: { announceSetupLink?: boolean } = {},
): Promise<void> {
  const settings = loadSettings(env);
  const logger = createLogger(settings);
  const gatehouse = await createContainer(settings, { logger });
  let running: RunningServer;
  try {
    running = await startServer(gatehouse, { port: settings.port, host: settings.host });
  } catch (error) {
    // The port is taken or not allowed: close the pool so the process can exit with the message.
    await gatehouse.close();
    throw error;
  }
  // Registered before anything else can take time, so a SIGTERM during start-up still drains. A
  // second signal changes nothing: Ctrl-C under `npm start` reaches Node twice (from the terminal,
  // and forwarded by npm), and dying on the second would leave the embedded cluster running.
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // running.stop() closes the pool, then the embedded cluster if no other process uses it.
    running.stop().then(
      () => {
        // The last line, so whoever reads the log knows the process ended on purpose.
        logger.info({ signal }, 'stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  logger.info(
    {
      issuer: settings.issuer,
      port: running.port,
      database: settings.databaseUrl ? 'postgresql' : 'embedded',
    },
    'Gatehouse is listening',
  );
  if (options.announceSetupLink ?? true) {
    // A SIGTERM right after start closes the pool under the announcement's query: that failure is
    // the shutdown's doing, not a failed start, and must not turn exit 0 into exit 1.
    await announceSetupLink(gatehouse).catch((error: unknown) => {
      if (!stopping) throw error;
    });
  }
}

/** First run: no administrator yet, so print the one-time link that creates the first one. */
export async function announceSetupLink(gatehouse: Gatehouse): Promise<void> {
  const setupLink = await gatehouse.setup.setupLinkIfNeeded();
  if (setupLink) {
    // Printed plainly as well as logged: the operator needs to see and click it.
    process.stdout.write(
      `\nNo administrator exists yet. Create the first one here (valid 24 hours, once):\n  ${setupLink}\n\n`,
    );
  }
}

if (import.meta.main) {
  serve().catch((error: unknown) => {
    const message =
      error instanceof SettingsError ? error.message : error instanceof Error ? error.message : String(error);
    process.stderr.write(`gatehouse: ${message}\n`);
    process.exit(1);
  });
}
