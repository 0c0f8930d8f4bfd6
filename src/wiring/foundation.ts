import type { Settings } from '../config/settings.ts';
import type { DatabaseAvailability } from '../db/availability.ts';
import type { Database } from '../db/database.ts';
import type { GatehouseBuilder } from '../extensions.ts';
import type { AuditStore } from '../notifications/audit-store.ts';
import type { NotificationBus } from '../notifications/notification-bus.ts';
import type { Logger } from '../operations/logger.ts';

/** What container.ts has opened and read before any domain is wired: each wiring step takes it. */
export interface Foundation {
  settings: Settings;
  logger: Logger;
  db: Database;
  /** Lets go of the pool, and of the embedded cluster when Gatehouse runs one. */
  close(): Promise<void>;
  /** The database's connection URL (the embedded cluster's too), for the LISTEN connection. */
  url: string;
  builder: GatehouseBuilder;
  notifications: NotificationBus;
  audit: AuditStore;
  availability: DatabaseAvailability;
}
