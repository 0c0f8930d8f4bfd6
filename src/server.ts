import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.ts';
import type { Gatehouse } from './container.ts';
import { startMaintenance } from './operations/maintenance.ts';
import { createManagementApp } from './operations/management.ts';
import { createMetrics, type Metrics } from './operations/metrics.ts';

export interface RunningServer {
  server: Server;
  port: number;
  /** The management listener's port (MANAGEMENT_PORT), when there is one. */
  managementPort: number | undefined;
  /** Stops accepting connections, lets in-flight requests finish, then closes the pool. */
  stop(): Promise<void>;
}

const SHUTDOWN_GRACE_MS = 10_000;

export async function startServer(
  gatehouse: Gatehouse,
  listen: { port: number; host: string },
): Promise<RunningServer> {
  const { settings, logger, host } = gatehouse;
  const metrics = createMetrics({ token: settings.metricsToken });
  const server = createServer(createApp(gatehouse, metrics).callback());
  // Keep-alive longer than typical load balancer idle timeouts, so they close first.
  server.keepAliveTimeout = 65_000;
  await listenOn(server, listen.port, listen.host);
  let management: Server | undefined;
  try {
    management = await startManagement(gatehouse, metrics, listen.host);
  } catch (error) {
    server.close();
    throw error;
  }
  host.startKeyRefresh(settings.keysRefreshIntervalSeconds, (err) =>
    logger.warn({ err }, 'signing key refresh failed'),
  );
  const stopMaintenance = startMaintenance(gatehouse.expiring, settings.purgeIntervalSeconds, logger);
  const stopRevalidation = gatehouse.external.revalidation.start(settings.upstreamRevalidateSeconds);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      stopMaintenance();
      stopRevalidation();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      management?.close();
      management?.closeAllConnections();
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      await closed;
      clearTimeout(force);
      await gatehouse.close();
    })();
    return stopping;
  };
  return {
    server,
    port: (server.address() as AddressInfo).port,
    managementPort: management ? (management.address() as AddressInfo).port : undefined,
    stop,
  };
}

/** The management listener, when MANAGEMENT_PORT asks for one. */
async function startManagement(
  gatehouse: Gatehouse,
  metrics: Metrics,
  hostname: string,
): Promise<Server | undefined> {
  const port = gatehouse.settings.managementPort;
  if (port === undefined) return undefined;
  const management = createServer(createManagementApp(gatehouse.db, metrics).callback());
  await listenOn(management, port, hostname);
  return management;
}

function listenOn(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}
