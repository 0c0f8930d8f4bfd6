import type { Context } from 'koa';
import { AppError } from '../../errors/app-error.ts';
import type { User } from '../../users/user.ts';
import { isLockedOut } from '../../users/user.ts';
import type { AdminDeps } from '../admin-deps.ts';
import { renderAdmin, when } from '../render.ts';

export async function requireUser(deps: AdminDeps, id: unknown): Promise<User> {
  const user = await deps.userManager.findById(String(id));
  if (!user) throw AppError.keyed('not_found', 'user.notFound');
  return user;
}

/** GET /admin/users/:id: the user, what can be done to them, their sessions, links and audit trail. */
export function showUser(deps: AdminDeps) {
  return async (ctx: Context): Promise<void> => {
    const user = await requireUser(deps, ctx.params.id);
    await renderUser(ctx, deps, user);
  };
}

export async function renderUser(
  ctx: Context,
  deps: AdminDeps,
  user: User,
  extra: { form?: Record<string, unknown>; error?: string; status?: number } = {},
): Promise<void> {
  const [links, sessions, events, twoFactor] = await Promise.all([
    deps.external.service.allLinksOf(user.id),
    deps.sessions.listFor(user.id),
    deps.audit.list({ affectedUserId: user.id, limit: 50 }),
    deps.twoFactor.enabledProviders(user),
  ]);
  renderAdmin(
    ctx,
    deps.views,
    'users/detail.njk',
    {
      user,
      form: extra.form ?? {
        email: user.email,
        name: user.name,
        groups: user.groups.join(', '),
        emailVerified: user.emailVerified,
        localPasswordAllowed: user.localPasswordAllowed,
      },
      error: extra.error,
      locked: isLockedOut(user),
      created: when(user.createdAt),
      lastLogin: when(user.lastLoginAt),
      twoFactor,
      links: links.map((l) => ({ ...l, created: when(l.createdAt), lastUsed: when(l.lastUsedAt) })),
      sessions: sessions.map((s) => ({ ...s, signedIn: when(s.signedInAt), lastSeen: when(s.lastSeenAt) })),
      events: events.map((e) => ({ ...e, when: when(e.at), details: JSON.stringify(e.details) })),
    },
    extra.status,
  );
}
