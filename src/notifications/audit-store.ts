import type { Database } from '../db/database.ts';
import type { Notification, NotificationType } from './notification-types.ts';

export interface AuditEvent {
  id: number;
  type: NotificationType;
  at: Date;
  ip: string | null;
  affectedUserId: string | null;
  performingUserId: string | null;
  details: Record<string, unknown>;
}

export interface AuditStore {
  record(notification: Notification<NotificationType>): Promise<void>;
  list(filter?: { affectedUserId?: string; type?: NotificationType; limit?: number }): Promise<AuditEvent[]>;
}

/** Fields never copied into the audit log: message bodies carry single-use links. */
const NOT_AUDITED = new Set([
  'type',
  'at',
  'ip',
  'affectedUserId',
  'performingUserId',
  'message',
  'handled',
  'claims',
]);

export function createAuditStore(db: Database): AuditStore {
  return {
    async record(n) {
      const details: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(n)) {
        if (!NOT_AUDITED.has(key) && typeof value !== 'function' && value !== undefined) details[key] = value;
      }
      if (n.type === 'SendEmailNotification') {
        const email = n as Notification<'SendEmailNotification'>;
        Object.assign(details, { to: email.message.to, handled: email.handled });
      }
      await db('audit_events').insert({
        type: n.type,
        at: n.at,
        ip: n.ip ?? null,
        affected_user_id: n.affectedUserId ?? null,
        performing_user_id: n.performingUserId ?? null,
        details: JSON.stringify(details),
      });
    },
    async list(filter = {}) {
      const q = db('audit_events')
        .orderBy('id', 'desc')
        .limit(filter.limit ?? 100);
      if (filter.affectedUserId) q.where({ affected_user_id: filter.affectedUserId });
      if (filter.type) q.where({ type: filter.type });
      const rows: Array<Record<string, unknown>> = await q;
      return rows.map((r) => ({
        id: Number(r.id),
        type: r.type as NotificationType,
        at: r.at as Date,
        ip: (r.ip as string | null) ?? null,
        affectedUserId: (r.affected_user_id as string | null) ?? null,
        performingUserId: (r.performing_user_id as string | null) ?? null,
        details: r.details as Record<string, unknown>,
      }));
    },
  };
}
