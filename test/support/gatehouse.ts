import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings, type Settings } from '../../src/config/settings.ts';
import { createContainer, type Gatehouse } from '../../src/container.ts';
import type { Configure } from '../../src/extensions.ts';
import { createLogger, type LogDestination } from '../../src/operations/logger.ts';
import { RATE_LIMIT_NAMES } from '../../src/rate-limits/policies.ts';
import { type RunningServer, startServer } from '../../src/server.ts';

export const TEST_SECRET_KEY = 'test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz';

export interface TestGatehouse {
  issuer: string;
  gatehouse: Gatehouse;
  settings: Settings;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** A postgres:// URL; omitted → the embedded database in a temporary directory. */
  databaseUrl?: string;
  /** Reuse a data directory (embedded database restarts). */
  dataDir?: string;
  port?: number;
  env?: Record<string, string>;
  configure?: Configure;
  /**
   * Keep the production rate limits. Otherwise every limit is raised far above what a test sends
   * (still counted, through the same code): a test file signs in, fails and resets from one address
   * far more often than a person would.
   */
  productionRateLimits?: boolean;
  /** Where the JSON log goes (at LOG_LEVEL); by default nowhere unless TEST_LOG_LEVEL says. */
  logStream?: LogDestination;
}

const GENEROUS_RATE_LIMITS = Object.fromEntries(
  RATE_LIMIT_NAMES.map((name) => [`RATE_LIMIT_${name}`, '100000/60']),
);

/** A real Gatehouse on a loopback port, in this process, with the same wiring as `gatehouse serve`. */
export async function startGatehouse(options: StartOptions = {}): Promise<TestGatehouse> {
  const port = options.port ?? (await freePort());
  const ownDataDir = options.dataDir ? undefined : mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  const settings = loadSettings({
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    ISSUER: `http://127.0.0.1:${port}`,
    SECRET_KEY: TEST_SECRET_KEY,
    DATA_DIR: options.dataDir ?? ownDataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ALLOW_PRIVATE_NETWORK_FETCH: 'true',
    // Keeps failed sign-ins quick in tests; the timing tests set their own.
    USER_MINIMUM_FAILED_LOGIN_DURATION_MS: '100',
    ...(options.productionRateLimits ? {} : GENEROUS_RATE_LIMITS),
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    ...options.env,
  });
  const gatehouse = await createContainer(settings, {
    logger: createLogger(settings, options.logStream),
    ...(options.configure ? { configure: options.configure } : {}),
  });
  let running: RunningServer;
  try {
    running = await startServer(gatehouse, { port, host: '127.0.0.1' });
  } catch (error) {
    await gatehouse.close();
    throw error;
  }
  return {
    issuer: settings.issuer,
    gatehouse,
    settings,
    async stop() {
      await running.stop();
      if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true });
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
