import type { Context } from 'koa';
import { z } from 'zod';
import { keyState } from '../api/admin/admin-json.ts';
import { parse } from '../http/validation.ts';
import type { AdminDeps } from './admin-deps.ts';
import { consoleActor } from './audit-actor.ts';
import { pageNumber, pagination, renderAdmin, when, withNotice } from './render.ts';

const PER_PAGE = 50;

/** GET /admin/keys */
export function showKeys(deps: AdminDeps) {
  return async (ctx: Context): Promise<void> => {
    const keys = (await deps.keys.list()).map((k) => ({
      ...k,
      state: keyState(k),
      created: when(k.createdAt),
      retired: when(k.retiredAt),
      expires: when(k.expiresAt),
    }));
    renderAdmin(ctx, deps.views, 'keys.njk', {
      keys,
      refreshSeconds: deps.settings.keysRefreshIntervalSeconds,
    });
  };
}

/** POST /admin/keys/rotate */
export function rotateKeys(deps: AdminDeps) {
  return async (ctx: Context): Promise<void> => {
    const keys = await deps.keys.rotate();
    await deps.host.refreshKeys();
    await deps.adminAudit.record(consoleActor(ctx), {
      action: 'keys.rotate',
      target: { type: 'keys', id: 'signing' },
      after: { kids: keys.map((k) => k.kid) },
    });
    ctx.status = 303;
    ctx.redirect(withNotice('/admin/keys', 'rotated'));
  };
}

const auditFilter = z.object({
  user: z.string().trim().max(320).optional().catch(undefined),
  actor: z.string().trim().max(255).optional().catch(undefined),
  type: z.string().trim().max(64).optional().catch(undefined),
  from: z.string().trim().max(40).optional().catch(undefined),
  to: z.string().trim().max(40).optional().catch(undefined),
});

const dateOrUndefined = (text: string | undefined) => {
  const date = text ? new Date(text) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
};

/** A user id, or an email address looked up to one. */
async function userIdOf(deps: AdminDeps, value: string | undefined): Promise<string | undefined> {
  if (!value) return undefined;
  if (!value.includes('@')) return value;
  return (await deps.userManager.findByEmail(value))?.id ?? '00000000-0000-0000-0000-000000000000';
}

/** GET /admin/audit: filtered by user, actor, type and time, fifty to a page. */
export function showAudit(deps: AdminDeps) {
  return async (ctx: Context): Promise<void> => {
    const filter = parse(auditFilter, ctx.query);
    const page = pageNumber(ctx.query.page);
    const [affectedUserId, actorId] = await Promise.all([
      userIdOf(deps, filter.user),
      userIdOf(deps, filter.actor),
    ]);
    const query = {
      affectedUserId: affectedUserId && /^[0-9a-f-]{36}$/i.test(affectedUserId) ? affectedUserId : undefined,
      actorId,
      type: filter.type || undefined,
      from: dateOrUndefined(filter.from),
      to: dateOrUndefined(filter.to),
    };
    const [events, total] = await Promise.all([
      deps.audit.list({ ...query, offset: (page - 1) * PER_PAGE, limit: PER_PAGE }),
      deps.audit.count(query),
    ]);
    renderAdmin(ctx, deps.views, 'audit.njk', {
      filter,
      ...pagination('/admin/audit', filter, page, total, PER_PAGE),
      events: events.map((e) => ({ ...e, when: when(e.at), details: JSON.stringify(e.details) })),
    });
  };
}

/** GET /admin/outbox: emails kept when SMTP_URL is not set, with their links. */
export function showOutbox(deps: AdminDeps) {
  return async (ctx: Context): Promise<void> => {
    const page = pageNumber(ctx.query.page);
    const { messages, total } = await deps.outbox.list({ offset: (page - 1) * PER_PAGE, limit: PER_PAGE });
    renderAdmin(ctx, deps.views, 'outbox.njk', {
      smtp: Boolean(deps.settings.smtpUrl),
      total,
      page,
      previous: page > 1 ? `/admin/outbox?page=${page - 1}` : undefined,
      next: page * PER_PAGE < total ? `/admin/outbox?page=${page + 1}` : undefined,
      messages: messages.map((m) => ({ ...m, created: when(m.createdAt) })),
    });
  };
}
