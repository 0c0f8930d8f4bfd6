import type { Context } from 'koa';
import type { Actor, Principal } from '../notifications/notification-types.ts';

/** Who is acting and from where, for notifications and the audit log. */
export function actorOf(ctx: Context, performingUserId?: string, performedBy?: Principal): Actor {
  return {
    ip: ctx.ip,
    performingUserId,
    ...(performedBy
      ? { performedBy }
      : performingUserId
        ? { performedBy: { kind: 'user', id: performingUserId } }
        : {}),
  };
}
