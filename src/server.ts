import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.ts';
import type { Gatehouse } from './container.ts';
import { startMaintenance } from './operations/maintenance.ts';

export interface RunningServer {
  server: Server;
  port: number;
  /** Stops accepting connections, lets in-flight requests finish, then closes the pool. */
  stop(): Promise<void>;
}

const SHUTDOWN_GRACE_MS = 10_000;

export async function startServer(
  gatehouse: Gatehouse,
  listen: { port: number; host: string },
): Promise<RunningServer> {
  const { settings, logger, host } = gatehouse;
  const server = createServer(createApp(gatehouse).callback());
  // Keep-alive longer than typical load balancer idle timeouts, so they close first.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  host.startKeyRefresh(settings.keysRefreshIntervalSeconds, (err) =>
    logger.warn({ err }, 'signing key refresh failed'),
  );
  const stopMaintenance = startMaintenance(
    [
      ...gatehouse.expiring,
      { name: 'rate_limit_keys', purgeExpired: () => gatehouse.rateLimits.purge() },
      {
        name: 'audit_events',
        purgeExpired: () => gatehouse.audit.purgeOlderThan(settings.auditRetentionDays),
      },
    ],
    settings.purgeIntervalSeconds,
    logger,
  );
  const stopRevalidation = gatehouse.external.revalidation.start(settings.upstreamRevalidateSeconds);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      stopMaintenance();
      stopRevalidation();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      await closed;
      clearTimeout(force);
      await gatehouse.close();
    })();
    return stopping;
  };
  return { server, port: (server.address() as AddressInfo).port, stop };
}
