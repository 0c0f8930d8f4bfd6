import type { AdapterPayload } from 'oidc-provider';
import type { Database } from '../db/database.ts';
import { preparedRaw } from '../db/prepared-statements.ts';
import type { AccountRows } from '../users/account-rows.ts';
import { type AdapterScope, type PayloadRow, rowKey, uidKey } from './adapter-scope.ts';

interface RawRow {
  model: string;
  id: string;
  payload: AdapterPayload;
  consumed_at: Date | null;
  reusable: boolean;
  /** Which lookup produced the row: the artefact asked for, its grant, its session or its account. */
  via: 'self' | 'grant' | 'session' | 'account';
  /** For via = self: the grant and session it refers to, even when those no longer exist. */
  grant_id: string | null;
  session_uid: string | null;
}

/**
 * The models one opaque token value may belong to: introspection without a `token_type_hint` asks
 * for all of them at once, and one statement answers all three.
 */
const TOKEN_MODELS = ['AccessToken', 'ClientCredentials', 'RefreshToken'];

const LIVE = '(expires_at IS NULL OR expires_at > now())';
/** A consumed refresh token inside the reuse window reads as unused. */
const REUSABLE = `(model = 'RefreshToken' AND consumed_at > now() - make_interval(secs => ?::int))`;

/**
 * Reads `oidc_payloads`. Every lookup is an index scan: the primary key (model, id), or the
 * uid / user_code / grant_id indexes (see bench/README.md for the EXPLAIN of each).
 */
/** The account a row names: a token's or session's `accountId`, a finished interaction's login. */
const ACCOUNT_ID = "coalesce(payload->>'accountId', payload#>>'{result,login,accountId}')";

export class PayloadReader {
  private readonly db: Database;
  private readonly reuseSeconds: number;
  private readonly accounts: AccountRows | undefined;

  constructor(db: Database, reuseSeconds: number, accounts?: AccountRows) {
    this.db = db;
    this.reuseSeconds = reuseSeconds;
    this.accounts = accounts;
  }

  get refreshTokenReuseSeconds(): number {
    return this.reuseSeconds;
  }

  async byId(model: string, id: string): Promise<PayloadRow | undefined> {
    return this.single('id', model, id);
  }

  async byColumn(model: string, column: 'uid' | 'user_code', value: string): Promise<PayloadRow | undefined> {
    return this.single(column, model, value);
  }

  /**
   * (`= ANY(ARRAY(…))` rather than `IN (…)`: the lookups stay index conditions on the uid index and
   * the primary key instead of becoming a join the planner might run as a scan of all sessions.)
   *
   * One round trip for what a token request needs: the artefact, the grant it belongs to, the
   * session it is bound to and the account it names. The extra rows are remembered in the request's
   * scope, so oidc-provider's following `Grant.find`, `Session.findByUid` and `findAccount` cost
   * nothing.
   */
  prefetch(scope: AdapterScope, model: string, id: string): Promise<PayloadRow | undefined> {
    const models = TOKEN_MODELS.includes(model) ? TOKEN_MODELS : [model];
    const rows = this.withGrantAndSession(models, id).then((all) => {
      this.rememberRelated(scope, all);
      return all;
    });
    // Registered before the statement returns: introspection asks for all token models at once.
    for (const other of models) {
      if (other !== model)
        scope.remember(
          rowKey(other, id),
          rows.then((all) => find(all, other, id)),
        );
    }
    return rows.then((all) => find(all, model, id));
  }

  private async withGrantAndSession(models: string[], id: string): Promise<RawRow[]> {
    const accounts = this.accounts
      ? `UNION ALL
       SELECT 'Account', a.id, a.account, NULL, false, 'account', NULL, NULL
         FROM (${this.accounts.sql('ARRAY(SELECT account_id FROM t)')}) a`
      : '';
    const { rows } = (await preparedRaw(
      this.db,
      `WITH t AS (
         SELECT model, id, payload, consumed_at, grant_id, payload->>'sessionUid' AS session_uid,
                ${REUSABLE} AS reusable, ${ACCOUNT_ID} AS account_id
         FROM oidc_payloads WHERE model = ANY(?::text[]) AND id = ? AND ${LIVE})
       SELECT model, id, payload, consumed_at, reusable, 'self' AS via, grant_id, session_uid FROM t
       UNION ALL
       SELECT model, id, payload, consumed_at, false, 'grant', NULL, NULL FROM oidc_payloads
         WHERE model = 'Grant' AND id = ANY(ARRAY(SELECT grant_id FROM t)) AND ${LIVE}
       UNION ALL
       SELECT model, id, payload, consumed_at, false, 'session', NULL, uid FROM oidc_payloads
         WHERE model = 'Session' AND uid = ANY(ARRAY(SELECT session_uid FROM t)) AND ${LIVE}
       ${accounts}`,
      [this.reuseSeconds, models, id],
    )) as { rows: RawRow[] };
    return rows;
  }

  private rememberRelated(scope: AdapterScope, rows: RawRow[]): void {
    const parse = this.accounts?.parse;
    if (parse) for (const r of rows) if (r.via === 'account') scope.rememberAccount(parse(r.payload));
    for (const ref of rows.filter((r) => r.via === 'self')) {
      if (ref.grant_id) {
        const grant = rows.find((r) => r.via === 'grant' && r.id === ref.grant_id);
        scope.remember(rowKey('Grant', ref.grant_id), Promise.resolve(grant && toRow(grant)));
      }
      if (ref.session_uid) {
        const session = rows.find((r) => r.via === 'session' && r.session_uid === ref.session_uid);
        scope.remember(uidKey('Session', ref.session_uid), Promise.resolve(session && toRow(session)));
      }
    }
  }

  private async single(column: 'id' | 'uid' | 'user_code', model: string, value: string) {
    const row: RawRow | undefined = await this.db('oidc_payloads')
      .select(
        'model',
        'id',
        'payload',
        'consumed_at',
        this.db.raw(`${REUSABLE} AS reusable`, [this.reuseSeconds]),
      )
      .where({ model, [column]: value })
      .andWhereRaw(LIVE)
      .first();
    return row && toRow(row);
  }
}

function find(rows: RawRow[], model: string, id: string): PayloadRow | undefined {
  const row = rows.find((r) => r.via === 'self' && r.model === model && r.id === id);
  return row && toRow(row);
}

function toRow(row: RawRow): PayloadRow {
  return {
    model: row.model,
    id: row.id,
    payload: row.payload,
    consumedAt: row.consumed_at,
    reusable: row.reusable === true,
  };
}
