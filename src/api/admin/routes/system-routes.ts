import { z } from 'zod';
import type { AdminApiDeps } from '../admin-api-deps.ts';
import { adminActor } from '../admin-auth.ts';
import { auditEventJson, keyJson, outboxJson } from '../admin-json.ts';
import { auditEventResponse, keyResponse, outboxMessageResponse, pagingQuery } from '../admin-schemas.ts';
import { type AdminRoute, route } from '../openapi/define.ts';

const date = (name: string) =>
  z.coerce.date(`${name} must be a date and time, such as 2026-01-31T12:00:00Z.`).optional();

const auditQuery = z.object({
  userId: z.uuid('userId must be a user id (a UUID).').optional().describe('The user the events are about.'),
  actorId: z
    .string()
    .trim()
    .max(255, 'actorId is too long.')
    .optional()
    .describe('Who acted: a user id, a client id, or the OS user of a CLI command.'),
  // Not checked against the list of notification names: an unknown name simply matches nothing.
  type: z
    .string('type must be given once.')
    .regex(/^[A-Za-z]{1,64}$/, 'type must be a notification name, such as UserLocked.')
    .optional(),
  from: date('from'),
  to: date('to'),
  ...pagingQuery,
});

/** Signing keys, the audit log and the outbox. */
export function systemRoutes(deps: AdminApiDeps): AdminRoute[] {
  return [
    route({
      method: 'get',
      path: '/keys',
      tag: 'Signing keys',
      summary: 'The signing keys with their state and expiry',
      responses: { 200: { description: 'The keys.', schema: z.object({ keys: z.array(keyResponse) }) } },
      async handler(ctx) {
        ctx.body = { keys: (await deps.keys.list()).map(keyJson) };
      },
    }),
    route({
      method: 'post',
      path: '/keys/rotate',
      tag: 'Signing keys',
      summary: 'Add a new key per algorithm; the old ones stay published until their tokens expire',
      responses: {
        200: { description: 'The keys after rotation.', schema: z.object({ keys: z.array(keyResponse) }) },
      },
      async handler(ctx) {
        const keys = await deps.keys.rotate();
        await deps.adminAudit.record(adminActor(ctx), {
          action: 'keys.rotate',
          target: { type: 'keys', id: 'signing' },
          after: { kids: keys.map((k) => k.kid) },
        });
        // This node signs with the new keys at once; the others within KEYS_REFRESH_INTERVAL_SECONDS.
        await deps.host.refreshKeys();
        ctx.body = { keys: (await deps.keys.list()).map(keyJson) };
      },
    }),
    route({
      method: 'get',
      path: '/audit-events',
      tag: 'Audit log',
      summary: 'Audit events, newest first, filtered by user, actor, type and time',
      query: auditQuery,
      responses: {
        200: {
          description: 'One page of events.',
          schema: z.object({
            events: z.array(auditEventResponse),
            total: z.number().int(),
            offset: z.number().int(),
            limit: z.number().int(),
          }),
        },
      },
      async handler(ctx, { query }) {
        const filter = {
          affectedUserId: query.userId,
          actorId: query.actorId,
          type: query.type,
          from: query.from,
          to: query.to,
        };
        const [events, total] = await Promise.all([
          deps.audit.list({ ...filter, offset: query.offset, limit: query.limit }),
          deps.audit.count(filter),
        ]);
        ctx.body = { events: events.map(auditEventJson), total, offset: query.offset, limit: query.limit };
      },
    }),
    route({
      method: 'get',
      path: '/outbox',
      tag: 'Outbox',
      summary: 'Emails kept when SMTP_URL is not set, newest first, with their links',
      query: z.object(pagingQuery),
      responses: {
        200: {
          description: 'One page of messages.',
          schema: z.object({ messages: z.array(outboxMessageResponse), total: z.number().int() }),
        },
      },
      async handler(ctx, { query }) {
        const { messages, total } = await deps.outbox.list(query);
        ctx.body = { messages: messages.map(outboxJson), total };
      },
    }),
  ];
}
