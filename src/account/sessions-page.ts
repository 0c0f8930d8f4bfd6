import type { Context } from 'koa';
import { z } from 'zod';
import { actorOf } from '../http/actor.ts';
import { findSignedIn, requireSignedIn } from '../http/current-session.ts';
import { parseBody } from '../http/validation.ts';
import type { AccountDeps } from './account-deps.ts';
import { renderSignedOut } from './account-page.ts';
import { renderPage } from './page.ts';

const dateTime = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'UTC',
});
const when = (d: Date | undefined) =>
  d ? { iso: d.toISOString(), text: `${dateTime.format(d)} UTC` } : undefined;

/** Catalogue keys of what a finished action says; chosen by key, nothing from the URL is shown. */
const NOTICES: Record<string, string> = {
  ended: 'sessions.ended',
  'others-ended': 'sessions.othersEnded',
  revoked: 'applications.revoked',
};

function noticeOf(ctx: Context): string | undefined {
  const key = String(ctx.query.notice);
  return Object.hasOwn(NOTICES, key) ? NOTICES[key] : undefined;
}

/** GET /account/sessions: where the user is signed in (device, IP address, last seen). */
export function showSessions(deps: AccountDeps) {
  return async (ctx: Context): Promise<void> => {
    const signedIn = await findSignedIn(ctx, deps);
    if (!signedIn) return renderSignedOut(ctx, deps);
    await deps.sessions.touch(ctx, signedIn.session);
    const sessions = await deps.sessions.listFor(signedIn.user.id);
    renderPage(ctx, deps, 'sessions.njk', {
      notice: noticeOf(ctx),
      sessions: sessions.map((s) => ({
        ...s,
        current: s.uid === signedIn.session.uid,
        signedIn: when(s.signedInAt),
        lastSeen: when(s.lastSeenAt),
      })),
    });
  };
}

/** POST /account/sessions/end: ends one of the user's own sessions (this one signs them out). */
export function endSession(deps: AccountDeps) {
  return async (ctx: Context): Promise<void> => {
    const { user, session } = await requireSignedIn(ctx, deps);
    const { session: uid } = parseBody(ctx, z.object({ session: z.string().max(64) }));
    if (uid === session.uid) {
      await deps.sessions.end(ctx, session, { reason: 'user', actor: actorOf(ctx, user.id) });
      return ctx.redirect('/');
    }
    await deps.sessions.endByUid(user.id, uid, { reason: 'revoked', actor: actorOf(ctx, user.id) });
    ctx.status = 303;
    ctx.redirect('/account/sessions?notice=ended');
  };
}

/** POST /account/sessions/end-others: every session but this one, and their applications' tokens. */
export function endOtherSessions(deps: AccountDeps) {
  return async (ctx: Context): Promise<void> => {
    const { user, session } = await requireSignedIn(ctx, deps);
    await deps.sessions.endAllFor(user.id, { exceptSessionId: session.id });
    ctx.status = 303;
    ctx.redirect('/account/sessions?notice=others-ended');
  };
}

/** GET /account/applications: the applications the user allowed, and what each may see. */
export function showApplications(deps: AccountDeps) {
  return async (ctx: Context): Promise<void> => {
    const signedIn = await findSignedIn(ctx, deps);
    if (!signedIn) return renderSignedOut(ctx, deps);
    const consents = await deps.consents.listFor(signedIn.user.id);
    renderPage(ctx, deps, 'applications.njk', {
      notice: noticeOf(ctx),
      consents: consents.map((c) => ({ ...c, since: when(c.createdAt) })),
    });
  };
}

/** POST /account/applications/revoke: forgets the consent and ends the application's access. */
export function revokeApplication(deps: AccountDeps) {
  return async (ctx: Context): Promise<void> => {
    const { user } = await requireSignedIn(ctx, deps);
    const { clientId } = parseBody(ctx, z.object({ clientId: z.string().max(255) }));
    await deps.consents.revoke(user.id, clientId);
    ctx.status = 303;
    ctx.redirect('/account/applications?notice=revoked');
  };
}
