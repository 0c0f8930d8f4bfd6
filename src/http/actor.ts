import type { Context } from 'koa';
import type { Actor } from '../notifications/notification-types.ts';

/** Who is acting and from where, for notifications and the audit log. */
export function actorOf(ctx: Context, performingUserId?: string): Actor {
  return { ip: ctx.ip, performingUserId };
}
