import type { Database } from '../db/database.ts';
import type { SideWrite } from './adapter-scope.ts';

export interface SessionActivity {
  sessionUid: string;
  ip: string | null;
  userAgent: string | null;
  firstSeen: Date;
  lastSeen: Date;
}

/** Where and with what each browser session was last seen. Only this file touches the table. */
export class SessionActivityStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async touch(sessionUid: string, accountId: string, ip: string, userAgent: string): Promise<void> {
    await this.#db('session_activity')
      .insert({
        session_uid: sessionUid,
        account_id: accountId,
        ip: ip.slice(0, 64),
        user_agent: userAgent.slice(0, 512),
      })
      .onConflict('session_uid')
      .merge({ ip: ip.slice(0, 64), user_agent: userAgent.slice(0, 512), last_seen: this.#db.fn.now() });
  }

  /**
   * The same upsert as `touch`, to ride in another statement (the OIDC request's one write
   * statement), applied only where `guard` holds.
   */
  touchWrite(sessionUid: string, accountId: string, ip: string, userAgent: string): SideWrite {
    const clipped = { ip: ip.slice(0, 64), userAgent: userAgent.slice(0, 512) };
    return {
      sql: (guard) => `INSERT INTO session_activity (session_uid, account_id, ip, user_agent)
        SELECT ?, ?, ?, ? WHERE ${guard}
        ON CONFLICT (session_uid) DO UPDATE SET ip = excluded.ip, user_agent = excluded.user_agent,
          last_seen = CURRENT_TIMESTAMP`,
      bindings: [sessionUid, accountId, clipped.ip, clipped.userAgent],
    };
  }

  async forAccount(accountId: string): Promise<Map<string, SessionActivity>> {
    const rows: Array<Record<string, unknown>> = await this.#db('session_activity').where({
      account_id: accountId,
    });
    return new Map(
      rows.map((r) => [
        String(r.session_uid),
        {
          sessionUid: String(r.session_uid),
          ip: (r.ip as string | null) ?? null,
          userAgent: (r.user_agent as string | null) ?? null,
          firstSeen: r.first_seen as Date,
          lastSeen: r.last_seen as Date,
        },
      ]),
    );
  }

  async forget(sessionUid: string): Promise<void> {
    await this.#db('session_activity').where({ session_uid: sessionUid }).delete();
  }

  /**
   * Forgets sessions that expired without being ended (nobody signed out). The hour's grace keeps
   * the row of a session whose first save is still on its way.
   */
  async purgeExpired(): Promise<number> {
    return this.#db('session_activity')
      .where('last_seen', '<', this.#db.raw("now() - interval '1 hour'"))
      .whereNotExists((q) =>
        q
          .select(this.#db.raw('1'))
          .from('oidc_payloads')
          .where('model', 'Session')
          .whereRaw('oidc_payloads.uid = session_activity.session_uid')
          .where((live) => live.whereNull('expires_at').orWhere('expires_at', '>', this.#db.fn.now())),
      )
      .delete();
  }
}

/** "Firefox on Windows": enough for a person to recognise their own device, nothing more. */
export function describeDevice(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device';
  const browser =
    [
      [/Edg\//, 'Edge'],
      [/OPR\//, 'Opera'],
      [/Firefox\//, 'Firefox'],
      [/Chrom(e|ium)\//, 'Chrome'],
      [/Safari\//, 'Safari'],
      [/curl\//, 'curl'],
      [/node|undici/i, 'A program'],
    ].find(([re]) => (re as RegExp).test(userAgent))?.[1] ?? 'A browser';
  const system = [
    [/Android/, 'Android'],
    [/iPhone|iPad|iOS/, 'iOS'],
    [/Windows/, 'Windows'],
    [/Mac OS X|Macintosh/, 'macOS'],
    [/CrOS/, 'ChromeOS'],
    [/Linux/, 'Linux'],
  ].find(([re]) => (re as RegExp).test(userAgent))?.[1];
  return system ? `${browser} on ${system}` : String(browser);
}
