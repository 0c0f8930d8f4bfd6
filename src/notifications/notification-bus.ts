import type { Logger } from '../operations/logger.ts';
import type { AuditStore } from './audit-store.ts';
import {
  type Actor,
  DECISION_NOTIFICATIONS,
  type Notification,
  type NotificationPayloads,
  type NotificationType,
} from './notification-types.ts';

export type NotificationHandler<K extends NotificationType> = (
  notification: Notification<K>,
) => void | Promise<void>;

type AnyHandler = (notification: Notification<NotificationType>) => void | Promise<void>;

/**
 * The typed, in-process notification bus. Handlers run in registration order. A failing handler is
 * logged and skipped, except for decision notifications, where the failure stops the flow. Every
 * published notification is written to the audit log afterwards.
 */
export class NotificationBus {
  readonly #handlers = new Map<NotificationType, AnyHandler[]>();
  readonly #audit: AuditStore | undefined;
  readonly #logger: Logger;

  constructor(logger: Logger, audit?: AuditStore) {
    this.#logger = logger;
    this.#audit = audit;
  }

  /** Registers a handler; returns a function that removes it. */
  on<K extends NotificationType>(type: K, handler: NotificationHandler<K>): () => void {
    const list = this.#handlers.get(type) ?? [];
    list.push(handler as AnyHandler);
    this.#handlers.set(type, list);
    return () => {
      const index = list.indexOf(handler as AnyHandler);
      if (index >= 0) list.splice(index, 1);
    };
  }

  /** Publishes and returns the notification, as the handlers left it. */
  async publish<K extends NotificationType>(
    type: K,
    subject: { affectedUserId?: string | undefined; actor?: Actor | undefined },
    payload: NotificationPayloads[K],
  ): Promise<Notification<K>> {
    const notification = Object.assign(payload, {
      type,
      at: new Date(),
      ip: subject.actor?.ip,
      affectedUserId: subject.affectedUserId,
      performingUserId: subject.actor?.performingUserId,
      performedBy: subject.actor?.performedBy,
    }) as Notification<K>;
    for (const handler of [...(this.#handlers.get(type) ?? [])]) {
      try {
        await handler(notification as Notification<NotificationType>);
      } catch (err) {
        if (DECISION_NOTIFICATIONS.has(type)) throw err;
        this.#logger.error({ err, notification: type }, 'notification handler failed; continuing');
      }
    }
    await this.#record(notification);
    return notification;
  }

  async #record(notification: Notification<NotificationType>): Promise<void> {
    try {
      await this.#audit?.record(notification);
    } catch (err) {
      this.#logger.error({ err, notification: notification.type }, 'could not write the audit event');
    }
  }
}
