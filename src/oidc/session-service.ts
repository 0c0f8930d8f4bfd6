import type { Context } from 'koa';
import type { Session } from 'oidc-provider';
import type { Database } from '../db/database.ts';
import type { NotificationBus } from '../notifications/notification-bus.ts';
import type { Actor, LogoutReason, Notification } from '../notifications/notification-types.ts';
import { causeOf, type Logger } from '../operations/logger.ts';
import { currentScope } from './adapter-scope.ts';
import { OidcPayloadStore } from './payload-store.ts';
import type { ProviderHost } from './provider-host.ts';
import { describeDevice, SessionActivityStore } from './session-activity-store.ts';
import { TTL } from './ttl.ts';

/** A browser session as its owner and administrators see it. */
export interface ActiveSession {
  uid: string;
  signedInAt: Date | undefined;
  expiresAt: Date | undefined;
  lastSeenAt: Date | undefined;
  ip: string | null;
  device: string;
  /** The applications signed in through this session. */
  clientIds: string[];
}

export interface SignOut {
  reason: LogoutReason;
  actor?: Actor | undefined;
  /** Where the browser goes once everything is signed out (an application's post-logout URI). */
  returnTo?: string | undefined;
}

export interface SessionLogin {
  accountId: string;
  amr: string[];
  acr: string;
  /** Without it the cookie lasts as long as the browser. */
  remember: boolean;
}

/**
 * Gatehouse's browser sessions are oidc-provider's sessions: the JSON API, the account pages and
 * the OIDC sign-in share one cookie. This service reads, creates and ends them outside
 * oidc-provider's own routes, and ends every session of a user when their credentials change.
 */
export class SessionService {
  readonly #host: ProviderHost;
  readonly #payloads: OidcPayloadStore;
  readonly #logger: Logger;
  readonly #activity: SessionActivityStore;
  readonly #notifications: NotificationBus;

  constructor(host: ProviderHost, db: Database, logger: Logger, notifications: NotificationBus) {
    this.#host = host;
    this.#payloads = new OidcPayloadStore(db);
    this.#logger = logger;
    this.#activity = new SessionActivityStore(db);
    this.#notifications = notifications;
  }

  /**
   * Notes that the session was used from this request's address and browser. On oidc-provider's
   * routes it joins the request's one write statement (no round trip of its own).
   */
  async touch(ctx: Context, session: Session): Promise<void> {
    if (!session.accountId) return;
    const scope = currentScope();
    const args = [session.uid, session.accountId, ctx.ip, ctx.get('user-agent')] as const;
    if (scope?.buffered) scope.sideWrites.push(this.#activity.touchWrite(...args));
    else await this.#activity.touch(...args);
  }

  /** Every live session of a user, most recently seen first. */
  async listFor(accountId: string): Promise<ActiveSession[]> {
    const [payloads, activity] = await Promise.all([
      this.#payloads.liveSessionsOf(accountId),
      this.#activity.forAccount(accountId),
    ]);
    const sessions = payloads.map((payload) => {
      const seen = activity.get(payload.uid);
      return {
        uid: payload.uid,
        signedInAt: payload.loginTs ? new Date(payload.loginTs * 1000) : undefined,
        expiresAt: payload.exp ? new Date(payload.exp * 1000) : undefined,
        lastSeenAt: seen?.lastSeen ?? (payload.iat ? new Date(payload.iat * 1000) : undefined),
        ip: seen?.ip ?? null,
        device: describeDevice(seen?.userAgent ?? null),
        clientIds: Object.keys(payload.authorizations ?? {}),
      };
    });
    return sessions.sort((a, b) => (b.lastSeenAt?.getTime() ?? 0) - (a.lastSeenAt?.getTime() ?? 0));
  }

  /** Ends one session of a user, found by its uid; false when there is no such session of theirs. */
  async endByUid(accountId: string, uid: string, how: SignOut = { reason: 'admin' }): Promise<boolean> {
    if (!/^[\w-]{1,64}$/.test(uid)) return false;
    const session = await this.#host.provider.Session.findByUid(uid);
    if (!session || session.accountId !== accountId) return false;
    await this.end(undefined, session, how);
    return true;
  }

  /** The signed-in session of this browser, if any; never creates one. */
  async current(ctx: Context): Promise<Session | undefined> {
    const session = await this.#host.provider.Session.get(ctx);
    return session.accountId ? session : undefined;
  }

  /** Signs an account in on this browser, with a fresh session id (no fixation). */
  async signIn(ctx: Context, login: SessionLogin): Promise<Session> {
    const provider = this.#host.provider;
    const session = await provider.Session.get(ctx);
    if (!session.new) session.resetIdentifier();
    session.loginAccount({
      accountId: login.accountId,
      amr: login.amr,
      acr: login.acr,
      transient: !login.remember,
    });
    await session.save(TTL.Session);
    ctx.cookies.set(provider.cookieName('session'), session.id, {
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      signed: true,
      overwrite: true,
      ...(login.remember ? { expires: new Date(Date.now() + TTL.Session * 1000) } : {}),
    });
    await this.touch(ctx, session);
    return session;
  }

  remainingSeconds(session: Session): number {
    return session.exp ? Math.max(0, session.exp - Math.floor(Date.now() / 1000)) : 0;
  }

  /**
   * The one sign-out path: ends one session (the applications in it hear of it over the back
   * channel, its grants go) and publishes `UserLogoutSuccess`, whose handlers may set where the
   * browser goes next. Every way out ends here, or in `announceEnded` when oidc-provider ended the
   * session itself (RP-initiated logout).
   */
  async end(
    ctx: Context | undefined,
    session: Session,
    how: SignOut,
  ): Promise<Notification<'UserLogoutSuccess'>> {
    const { accountId, uid } = session;
    await this.#endQuietly(ctx, session);
    return this.announceEnded(accountId, uid, how);
  }

  /** Publishes `UserLogoutSuccess` for a session that has ended. */
  announceEnded(
    accountId: string | undefined,
    sessionUid: string | undefined,
    how: SignOut,
  ): Promise<Notification<'UserLogoutSuccess'>> {
    return this.#notifications.publish(
      'UserLogoutSuccess',
      { affectedUserId: accountId, actor: how.actor },
      { signOutRedirectUrl: undefined, sessionUid, returnTo: how.returnTo, reason: how.reason },
    );
  }

  async #endQuietly(ctx: Context | undefined, session: Session): Promise<void> {
    await this.#notifyApplications(session);
    const grantIds = Object.entries(session.authorizations ?? {})
      .filter(([, a]) => a.grantId && !a.persistsLogout)
      .map(([, a]) => a.grantId as string);
    await this.#revokeGrants(grantIds);
    await session.destroy();
    await this.#activity.forget(session.uid);
    if (ctx) {
      ctx.cookies.set(this.#host.provider.cookieName('session'), null, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
      });
    }
  }

  /**
   * Ends every session of a user except `exceptSessionId`, and revokes every grant and token they
   * hold outside that session. Used when the security stamp changes.
   */
  async endAllFor(
    accountId: string,
    options: { exceptSessionId?: string | undefined; reason?: LogoutReason; actor?: Actor } = {},
  ): Promise<number> {
    const provider = this.#host.provider;
    let keptGrants: string[] = [];
    let ended = 0;
    for (const id of await this.#payloads.sessionIdsOf(accountId)) {
      const session = await provider.Session.find(id);
      if (!session) continue;
      if (id === options.exceptSessionId) {
        keptGrants = Object.values(session.authorizations ?? {}).flatMap((a) =>
          a.grantId ? [a.grantId] : [],
        );
        continue;
      }
      await this.end(undefined, session, { reason: options.reason ?? 'credentials', actor: options.actor });
      ended++;
    }
    await this.#payloads.deleteIssuedToAccount(accountId, keptGrants);
    return ended;
  }

  async #notifyApplications(session: Session): Promise<void> {
    const provider = this.#host.provider;
    const deliveries = Object.keys(session.authorizations ?? {}).map(async (clientId) => {
      const client = await provider.Client.find(clientId);
      const sid = session.sidFor(clientId);
      if (!client?.backchannelLogoutUri || !session.accountId || !sid) return;
      try {
        await client.backchannelLogout(session.accountId, sid);
      } catch (err) {
        this.#logger.warn(
          { err: String(err), cause: causeOf(err), clientId },
          'back-channel logout delivery failed',
        );
      }
    });
    await Promise.all(deliveries);
  }

  async #revokeGrants(grantIds: string[]): Promise<void> {
    await this.#payloads.deleteGrants(grantIds);
  }
}
