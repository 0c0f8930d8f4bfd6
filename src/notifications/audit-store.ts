import { isIP } from 'node:net';
import type { Database } from '../db/database.ts';
import type { Notification, NotificationType, Principal } from './notification-types.ts';

/** What the audit log's `type` column holds: a notification name, or an administrative action. */
export type AuditEventType = NotificationType | 'AdminAction' | 'RateLimited';

export interface AuditEvent {
  id: number;
  type: AuditEventType;
  at: Date;
  ip: string | null;
  affectedUserId: string | null;
  performingUserId: string | null;
  /** Who acted: a user, a machine client or the command line (null for anonymous requests). */
  actor: Principal | null;
  details: Record<string, unknown>;
}

/** One row of the audit log, as the writers below hand it over. */
export interface AuditEntry {
  type: AuditEventType;
  at?: Date;
  ip?: string | undefined;
  affectedUserId?: string | undefined;
  performingUserId?: string | undefined;
  actor?: Principal | undefined;
  details: Record<string, unknown>;
}

export interface AuditFilter {
  affectedUserId?: string | undefined;
  /** Who acted: a user id, a client id, or the CLI's operating-system user. */
  actorId?: string | undefined;
  type?: string | undefined;
  /** Events at or after `from` and before `to`. */
  from?: Date | undefined;
  to?: Date | undefined;
  offset?: number | undefined;
  limit?: number | undefined;
}

export interface AuditStore {
  record(notification: Notification<NotificationType>): Promise<void>;
  /** Writes an entry that is not a notification (admin actions, refused requests). */
  write(entry: AuditEntry): Promise<void>;
  /** Newest first. */
  list(filter?: AuditFilter): Promise<AuditEvent[]>;
  count(filter?: AuditFilter): Promise<number>;
  /** Deletes events older than `days` days (AUDIT_RETENTION_DAYS); returns how many went. */
  purgeOlderThan(days: number): Promise<number>;
}

/** Fields never copied into the audit log: message bodies carry single-use links. */
const NOT_AUDITED = new Set([
  'type',
  'at',
  'ip',
  'affectedUserId',
  'performingUserId',
  'performedBy',
  'message',
  'handled',
  'claims',
]);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * An IP address as the audit log keeps it: a valid IPv4 or IPv6 address (an IPv4-mapped IPv6 one as
 * plain IPv4), or nothing. Whatever a header said cannot end up in the column, nor make the insert fail.
 */
export function auditableIp(ip: string | undefined): string | null {
  if (!ip) return null;
  const plain = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  return isIP(plain) && plain.length <= 64 ? plain : null;
}

export function createAuditStore(db: Database): AuditStore {
  const write = async (entry: AuditEntry) => {
    const actor =
      entry.actor ?? (entry.performingUserId ? { kind: 'user', id: entry.performingUserId } : null);
    await db('audit_events').insert({
      type: entry.type,
      at: entry.at ?? new Date(),
      ip: auditableIp(entry.ip),
      affected_user_id: entry.affectedUserId && UUID.test(entry.affectedUserId) ? entry.affectedUserId : null,
      performing_user_id: actor?.kind === 'user' && UUID.test(actor.id) ? actor.id : null,
      actor_kind: actor?.kind ?? null,
      actor_id: actor ? actor.id.slice(0, 255) : null,
      details: JSON.stringify(entry.details),
    });
  };
  const filtered = (filter: AuditFilter) => {
    const q = db('audit_events');
    if (filter.affectedUserId) q.where({ affected_user_id: filter.affectedUserId });
    if (filter.actorId) q.where({ actor_id: filter.actorId });
    if (filter.type) q.where({ type: filter.type });
    if (filter.from) q.where('at', '>=', filter.from);
    if (filter.to) q.where('at', '<', filter.to);
    return q;
  };
  return {
    write,
    async record(n) {
      const details: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(n)) {
        if (!NOT_AUDITED.has(key) && typeof value !== 'function' && value !== undefined) details[key] = value;
      }
      if (n.type === 'SendEmailNotification') {
        const email = n as Notification<'SendEmailNotification'>;
        Object.assign(details, { to: email.message.to, handled: email.handled });
      }
      await write({
        type: n.type,
        at: n.at,
        ip: n.ip,
        affectedUserId: n.affectedUserId,
        performingUserId: n.performingUserId,
        actor: n.performedBy,
        details,
      });
    },
    async count(filter = {}) {
      const row = await filtered(filter).count<{ count: string }[]>('* as count').first();
      return Number(row?.count ?? 0);
    },
    async list(filter = {}) {
      const q = filtered(filter)
        .orderBy('id', 'desc')
        .offset(filter.offset ?? 0)
        .limit(filter.limit ?? 100);
      const rows: Array<Record<string, unknown>> = await q;
      return rows.map(toEvent);
    },
    async purgeOlderThan(days) {
      return db('audit_events')
        .where('at', '<', db.raw('now() - make_interval(days => ?)', [days]))
        .delete();
    },
  };
}

function toEvent(r: Record<string, unknown>): AuditEvent {
  const kind = r.actor_kind as Principal['kind'] | null;
  return {
    id: Number(r.id),
    type: r.type as AuditEventType,
    at: r.at as Date,
    ip: (r.ip as string | null) ?? null,
    affectedUserId: (r.affected_user_id as string | null) ?? null,
    performingUserId: (r.performing_user_id as string | null) ?? null,
    actor: kind ? { kind, id: String(r.actor_id) } : null,
    details: r.details as Record<string, unknown>,
  };
}
