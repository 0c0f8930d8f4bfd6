import type { Context, Middleware, Next } from 'koa';
import { sendToReauthentication } from '../account/reauthenticate.ts';
import { isRecentSignIn } from '../http/current-session.ts';
import type { Views } from '../rendering/views.ts';
import { signedInOf } from './console-sign-in.ts';

const SECTIONS = [
  { href: '/admin/users', label: 'Users' },
  { href: '/admin/applications', label: 'Applications' },
  { href: '/admin/providers', label: 'Sign-in providers' },
  { href: '/admin/keys', label: 'Signing keys' },
  { href: '/admin/audit', label: 'Audit log' },
  { href: '/admin/outbox', label: 'Outbox' },
] as const;

/**
 * What a finished action says on the page it returns to. Pages show only these fixed texts, chosen
 * by key, so nothing from the query string is ever reflected into a page.
 */
export const NOTICES = {
  created: 'Created.',
  saved: 'Saved.',
  deleted: 'Deleted.',
  invited: 'The invitation has been sent.',
  disabled: 'The user is disabled and their sessions have ended.',
  enabled: 'The user is enabled.',
  unlocked: 'The user is unlocked.',
  'reset-sent': 'A password-reset link has been sent.',
  'two-factor-reset': 'Two-factor authentication is reset; the user sets it up again at the next sign-in.',
  'login-removed': 'The linked login is removed.',
  'sessions-ended': 'The sessions have ended.',
  'session-ended': 'The session has ended.',
  rotated: 'New signing keys are in use; the old ones stay published until they expire.',
} as const;

export type NoticeKey = keyof typeof NOTICES;

export function withNotice(path: string, notice: NoticeKey): string {
  return `${path}${path.includes('?') ? '&' : '?'}notice=${notice}`;
}

/** Renders a console page with the navigation, the signed-in admin, the CSRF token and a notice. */
export function renderAdmin(
  ctx: Context,
  views: Views,
  template: string,
  values: Record<string, unknown> = {},
  status = 200,
): void {
  const noticeKey = typeof ctx.query.notice === 'string' ? ctx.query.notice : '';
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = views.render(`admin/${template}`, {
    csrfToken: ctx.state.csrfToken,
    admin: signedInOf(ctx).user,
    nav: SECTIONS.map((s) => ({ ...s, current: ctx.path.startsWith(s.href) })),
    notice: Object.hasOwn(NOTICES, noticeKey) ? NOTICES[noticeKey as NoticeKey] : undefined,
    ...values,
  });
}

/**
 * Changes need a recent sign-in, by the rule and the setting (PRIVILEGED_SESSION_MAX_AGE_SECONDS)
 * the account pages use. An admin whose sign-in is older is sent to sign in again the way the
 * account pages send theirs (`sendToReauthentication`: prompt=login) and comes back to the page the form was on, where they submit again.
 */
export function recentSignInRequired(maxAgeSeconds: number): Middleware {
  return async (ctx: Context, next: Next) => {
    if (ctx.method === 'GET' || isRecentSignIn(signedInOf(ctx).session, maxAgeSeconds)) return next();
    sendToReauthentication(ctx, formPageOf(ctx.path));
  };
}

/** The page whose form posts to `action`: a list's "new" page, an item's own page, or the action's parent. */
export function formPageOf(action: string): string {
  if (/^\/admin\/(users|applications|providers)$/.test(action)) return `${action}/new`;
  if (/^\/admin\/(applications|providers)\/[^/]+$/.test(action)) return action;
  return action.replace(/\/[^/]+$/, '') || '/admin';
}

/** Page number from `?page=`, 1 when absent or nonsense. */
export function pageNumber(value: unknown): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 && n < 1_000_000 ? n : 1;
}

const dateTime = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'UTC',
});

/** One unambiguous form for every date on the console: the server does not know the reader's zone. */
export function when(date: Date | null | undefined): { iso: string; text: string } | undefined {
  return date ? { iso: date.toISOString(), text: `${dateTime.format(date)} UTC` } : undefined;
}
