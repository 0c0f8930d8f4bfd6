import type { Context } from 'koa';
import { z } from 'zod';
import { parse } from '../../http/validation.ts';
import type { NotificationType } from '../../notifications/notification-types.ts';
import type { AdminApiDeps } from './admin-api-deps.ts';

const auditQuery = z.object({
  userId: z.uuid('userId must be a user id (a UUID).').optional(),
  // Not checked against the list of notification names: an unknown name simply matches nothing.
  type: z
    .string('type must be given once.')
    .regex(/^[A-Za-z]{1,64}$/, 'type must be a notification name, such as UserLocked.')
    .optional(),
  limit: z.coerce
    .number('limit must be a number.')
    .int('limit must be a whole number.')
    .min(1, 'limit must be at least 1.')
    .max(1000, 'limit must be at most 1000.')
    .default(100),
});

/** GET /audit-events?userId=&type=&limit=: newest first. */
export function listAuditEvents(deps: AdminApiDeps) {
  return async (ctx: Context): Promise<void> => {
    // `?userId=&type=` (a filter form left blank) means no filter.
    const given = Object.fromEntries(Object.entries(ctx.query).filter(([, v]) => v !== ''));
    const query = parse(auditQuery, given);
    const events = await deps.audit.list({
      limit: query.limit,
      ...(query.userId ? { affectedUserId: query.userId } : {}),
      ...(query.type ? { type: query.type as NotificationType } : {}),
    });
    ctx.body = {
      events: events.map((e) => ({ ...e, at: e.at.toISOString() })),
    };
  };
}
