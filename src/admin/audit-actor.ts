import type { Context } from 'koa';
import { actorOf } from '../http/actor.ts';
import type { AdminActor } from '../notifications/admin-audit.ts';
import { signedInOf } from './console-sign-in.ts';

/** The signed-in administrator as the actor of notifications and admin audit events. */
export function consoleActor(ctx: Context): AdminActor {
  const id = signedInOf(ctx).user.id;
  return { ...actorOf(ctx, id), performedBy: { kind: 'user', id } };
}
