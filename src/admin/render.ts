import type { Context, Middleware, Next } from 'koa';
import { sendToReauthentication } from '../account/reauthenticate.ts';
import { isRecentSignIn } from '../http/current-session.ts';
import type { Locale, Translate } from '../i18n/i18n.ts';
import { currentLocale } from '../i18n/request-locale.ts';
import type { Views } from '../rendering/views.ts';
import { signedInOf } from './console-sign-in.ts';

/** The console's sections, labelled in the reader's language. */
function sections(t: Translate) {
  return [
    { href: '/admin/users', label: t('admin.nav.users') },
    { href: '/admin/applications', label: t('admin.nav.applications') },
    { href: '/admin/providers', label: t('admin.nav.providers') },
    { href: '/admin/keys', label: t('admin.nav.keys') },
    { href: '/admin/audit', label: t('admin.nav.audit') },
    { href: '/admin/outbox', label: t('admin.nav.outbox') },
  ];
}

/**
 * What a finished action says on the page it returns to. Pages show only these fixed texts, chosen
 * by key, so nothing from the query string is ever reflected into a page.
 */
export const NOTICES = {
  created: (t: Translate) => t('admin.notice.created'),
  saved: (t: Translate) => t('admin.notice.saved'),
  deleted: (t: Translate) => t('admin.notice.deleted'),
  invited: (t: Translate) => t('admin.notice.invited'),
  disabled: (t: Translate) => t('admin.notice.disabled'),
  enabled: (t: Translate) => t('admin.notice.enabled'),
  unlocked: (t: Translate) => t('admin.notice.unlocked'),
  'reset-sent': (t: Translate) => t('admin.notice.resetSent'),
  'two-factor-reset': (t: Translate) => t('admin.notice.twoFactorReset'),
  'login-removed': (t: Translate) => t('admin.notice.loginRemoved'),
  'sessions-ended': (t: Translate) => t('admin.notice.sessionsEnded'),
  'session-ended': (t: Translate) => t('admin.notice.sessionEnded'),
  rotated: (t: Translate) => t('admin.notice.rotated'),
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
  const t = views.translator();
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = views.render(`admin/${template}`, {
    csrfToken: ctx.state.csrfToken,
    admin: signedInOf(ctx).user,
    nav: sections(t).map((s) => ({ ...s, current: ctx.path.startsWith(s.href) })),
    notice: Object.hasOwn(NOTICES, noticeKey) ? NOTICES[noticeKey as NoticeKey](t) : undefined,
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

/**
 * Where a page stands in a list of `total` rows, and the links to the pages either side (each
 * keeping `filter`, an absent value as an empty one), as the list templates show them.
 */
export function pagination(
  path: string,
  filter: Record<string, string | undefined>,
  page: number,
  total: number,
  perPage: number,
): { total: number; page: number; pages: number; previous?: string; next?: string } {
  const pages = Math.max(1, Math.ceil(total / perPage));
  const values = Object.fromEntries(Object.entries(filter).map(([k, v]) => [k, v ?? '']));
  const link = (p: number) => `${path}?${new URLSearchParams({ ...values, page: String(p) })}`;
  return {
    total,
    page,
    pages,
    previous: page > 1 ? link(page - 1) : undefined,
    next: page < pages ? link(page + 1) : undefined,
  };
}

const formats = new Map<Locale, Intl.DateTimeFormat>();

/** The date format of the reader's language (English readers get en-GB's day-month order). */
function dateTimeFormat(locale: Locale): Intl.DateTimeFormat {
  let format = formats.get(locale);
  if (!format) {
    format = new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : locale, {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone: 'UTC',
    });
    formats.set(locale, format);
  }
  return format;
}

/** One unambiguous form for every date on the console: the server does not know the reader's zone. */
export function when(date: Date | null | undefined): { iso: string; text: string } | undefined {
  return date
    ? { iso: date.toISOString(), text: `${dateTimeFormat(currentLocale()).format(date)} UTC` }
    : undefined;
}
