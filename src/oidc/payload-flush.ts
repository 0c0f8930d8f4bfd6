import type { Knex } from 'knex';
import type { AdapterPayload } from 'oidc-provider';
import type { Database } from '../db/database.ts';
import { preparedRaw } from '../db/prepared-statements.ts';
import type { AdapterScope, PendingWrite, SideWrite } from './adapter-scope.ts';

/**
 * A check that runs first in the request's write statement and may stop every write in it (the
 * token endpoint's rate limit): its CTEs, a boolean SQL expression over them, and the CTE whose row
 * comes back.
 */
export interface WriteGate {
  ctes: string;
  bindings: Knex.RawBinding[];
  allowed: string;
  name: string;
}

export interface FlushResult {
  /** Everything was written (false: a consume lost its race, or the gate refused). */
  ok: boolean;
  /** The gate's row, when there was a gate. */
  gateRow?: Record<string, unknown> | undefined;
}

interface Part {
  name: string;
  sql: string;
  bindings: Knex.RawBinding[];
}

/**
 * Writes a request's pending adapter writes in ONE statement (data-modifying CTEs), which
 * PostgreSQL runs atomically: a crash or a failed write leaves everything as it was. Every
 * `consume` is checked in the same statement: when another request consumed the artefact first,
 * nothing else is written and `false` comes back, so no tokens exist for a grant that lost the race.
 *
 * `removalsOnly` (the request failed): only destroy and revoke-by-grant are applied; they only take
 * things away, and a failed request may still have had to revoke (a replayed code or refresh token).
 */
export async function flushWrites(
  db: Database,
  scope: AdapterScope,
  options: { removalsOnly: boolean; reuseSeconds: number; gate?: WriteGate | undefined },
): Promise<FlushResult> {
  const entries = [...scope.writes.values()].filter(
    (e) => !options.removalsOnly || e.write.kind === 'destroy',
  );
  const gate = options.gate?.allowed ?? 'true';
  const { parts: consumes, guard } = consumeParts(entries, options.reuseSeconds, gate);
  const parts = [...consumes, ...writeParts(entries, scope, guard, consumes.length)];
  if (!options.removalsOnly) parts.push(...scope.sideWrites.map((w, i) => sideWritePart(`x${i}`, w, guard)));
  if (!parts.length && !options.gate) return { ok: true };
  const ctes = [...(options.gate ? [options.gate.ctes] : []), ...parts.map((p) => `${p.name} AS (${p.sql})`)];
  const gateRow = options.gate
    ? `, (SELECT row_to_json(${options.gate.name}) FROM ${options.gate.name}) AS gate`
    : '';
  const result = (await preparedRaw(db, `WITH ${ctes.join(',\n')} SELECT ${guard} AS ok${gateRow}`, [
    ...(options.gate?.bindings ?? []),
    ...parts.flatMap((p) => p.bindings),
  ])) as { rows: Array<{ ok: boolean; gate?: Record<string, unknown> | null }> };
  const row = result.rows[0];
  return { ok: row?.ok === true, gateRow: row?.gate ?? undefined };
}

type Entry = { model: string; id: string; write: PendingWrite };

/**
 * The consumes first (c0, c1, …), and the guard every other write waits on: the gate allows it and
 * each consume found its row still unconsumed.
 */
function consumeParts(
  entries: Entry[],
  reuseSeconds: number,
  gate: string,
): { parts: Part[]; guard: string } {
  const parts: Part[] = [];
  for (const { model, id, write } of entries) {
    if (write.kind !== 'consume') continue;
    const reuse = model === 'RefreshToken' ? reuseSeconds : 0;
    parts.push(consumePart(`c${parts.length}`, model, id, write, reuse, gate));
  }
  const guard = parts.length
    ? `${gate} AND (${parts.map((c) => `(SELECT count(*) FROM ${c.name})`).join(' + ')}) = ${parts.length}`
    : gate;
  return { parts, guard };
}

/** The upserts, destroys and revoke-by-grant deletes, each under `guard`, numbered after the consumes. */
function writeParts(entries: Entry[], scope: AdapterScope, guard: string, first: number): Part[] {
  const parts: Part[] = [];
  let index = first;
  for (const { model, id, write } of entries) {
    const name = `w${index++}`;
    if (write.kind === 'upsert') parts.push(upsertPart(name, model, id, write, guard));
    if (write.kind === 'destroy') {
      parts.push({
        name,
        sql: `DELETE FROM oidc_payloads WHERE model = ? AND id = ? AND ${guard}`,
        bindings: [model, id],
      });
    }
  }
  for (const { model, grantId } of scope.revokes) {
    parts.push({
      name: `r${index++}`,
      sql: `DELETE FROM oidc_payloads WHERE model = ? AND grant_id = ? AND ${guard}`,
      bindings: [model, grantId],
    });
  }
  return parts;
}

/** Another domain's write that rides along (session activity), applied only if everything else is. */
function sideWritePart(name: string, write: SideWrite, guard: string): Part {
  return { name, sql: write.sql(guard), bindings: write.bindings };
}

const EXPIRES = 'CASE WHEN ?::int > 0 THEN now() + make_interval(secs => ?::int) ELSE NULL END';

function payloadColumns(payload: AdapterPayload, expiresIn: number): Knex.RawBinding[] {
  return [
    JSON.stringify(payload),
    payload.grantId ?? null,
    payload.userCode ?? null,
    payload.uid ?? null,
    expiresIn,
    expiresIn,
  ];
}

/**
 * Insert or update; `consumed_at` is left alone on update (re-saving a consumed artefact must not
 * revive it), unless this request consumed it too.
 */
function upsertPart(
  name: string,
  model: string,
  id: string,
  write: Extract<PendingWrite, { kind: 'upsert' }>,
  guard: string,
): Part {
  const consumed = write.consume ? 'now()' : 'NULL::timestamptz';
  return {
    name,
    sql: `INSERT INTO oidc_payloads (model, id, payload, grant_id, user_code, uid, expires_at, consumed_at)
      SELECT ?, ?, ?::jsonb, ?, ?, ?, ${EXPIRES}, ${consumed} WHERE ${guard}
      ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
        user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at,
        consumed_at = coalesce(oidc_payloads.consumed_at, excluded.consumed_at)`,
    bindings: [model, id, ...payloadColumns(write.payload, write.expiresIn)],
  };
}

/**
 * Marks an artefact used, only if nobody did before (or, for refresh tokens, if that was inside the
 * reuse window, keeping the first use's time so the window never slides).
 *
 * Without a window the test is `consumed_at IS NULL` alone: `now()` is when this request's
 * transaction began, and a rival that began later but took the row lock first stores a later
 * `consumed_at`; `consumed_at > now() - 0 seconds` then held, and both redeemed one code (seen as
 * 2 winners of 20 parallel redemptions under load).
 */
function consumePart(
  name: string,
  model: string,
  id: string,
  write: Extract<PendingWrite, { kind: 'consume' }>,
  reuseSeconds: number,
  gate: string,
): Part {
  const resave = write.resave
    ? `, payload = ?::jsonb, grant_id = ?, user_code = ?, uid = ?, expires_at = ${EXPIRES}`
    : '';
  return {
    name,
    sql: `UPDATE oidc_payloads SET consumed_at = coalesce(consumed_at, now())${resave}
      WHERE model = ? AND id = ?
        AND (consumed_at IS NULL OR (?::int > 0 AND consumed_at > now() - make_interval(secs => ?::int)))
        AND ${gate}
      RETURNING 1`,
    bindings: [
      ...(write.resave ? payloadColumns(write.resave.payload, write.resave.expiresIn) : []),
      model,
      id,
      reuseSeconds,
      reuseSeconds,
    ],
  };
}
