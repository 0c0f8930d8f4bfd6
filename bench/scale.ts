import type { Knex } from 'knex';
import type { Gatehouse } from '../src/container.ts';
import type { Database } from '../src/db/database.ts';
import { purgeAll } from '../src/operations/maintenance.ts';

/** Issue 15's population: 1,000,000 users, 5,000,000 token and session rows, 10,000 clients. */
export const SCALE = { users: 1_000_000, payloads: 5_000_000, clients: 10_000 };
const BATCH = 100_000;

export interface SeedReport {
  factor: number;
  users: number;
  payloads: number;
  clients: number;
  seconds: number;
  databaseBytes: number;
}

/**
 * Seeds the population with batched `INSERT … SELECT generate_series` (the data is made inside
 * PostgreSQL; nothing crosses the wire row by row), then ANALYZE. One in ten payload rows is
 * already expired, so the purge has a backlog to clear. `factor` scales every count (0.01 for a
 * quick rehearsal).
 */
export async function seedPopulation(db: Database, factor: number): Promise<SeedReport> {
  const started = performance.now();
  const counts = {
    users: Math.round(SCALE.users * factor),
    payloads: Math.round(SCALE.payloads * factor),
    clients: Math.max(1, Math.round(SCALE.clients * factor)),
  };
  // Gatehouse's statement_timeout is for requests; a seeding batch may take longer on a busy machine.
  const raw = (sql: string, bindings: Knex.RawBinding[]) =>
    db.transaction(async (trx) => {
      await trx.raw('SET LOCAL statement_timeout = 0');
      await trx.raw(sql, bindings);
    });
  await inBatches(counts.users, (from, to) =>
    raw(
      `INSERT INTO users (id, email, name, groups, password_hash, status, security_stamp, email_verified)
       SELECT gen_random_uuid(), 'scale-user-' || g || '@example.com', 'Scale User ' || g,
              ARRAY['staff', 'team-' || (g % 50)], NULL, 'active', md5(g::text), true
       FROM generate_series(?::int, ?::int) g`,
      [from, to],
    ),
  );
  await raw(
    `INSERT INTO clients (client_id, metadata, client_secret_encrypted, skip_consent)
     SELECT 'scale-client-' || g, jsonb_build_object('client_id', 'scale-client-' || g,
              'client_name', 'Scale app ' || g, 'token_endpoint_auth_method', 'none',
              'grant_types', jsonb_build_array('authorization_code'), 'response_types', jsonb_build_array('code'),
              'redirect_uris', jsonb_build_array('https://app' || g || '.example.com/callback')), NULL, false
     FROM generate_series(1, ?::int) g`,
    [counts.clients],
  );
  await inBatches(counts.payloads, (from, to) => raw(PAYLOADS, [counts.clients, from, to]));
  await raw('ANALYZE', []);
  const { rows } = await db.raw<{ rows: Array<{ bytes: string }> }>(
    'SELECT pg_database_size(current_database()) AS bytes',
  );
  return {
    factor,
    ...counts,
    seconds: (performance.now() - started) / 1000,
    databaseBytes: Number(rows[0]?.bytes ?? 0),
  };
}

// Five models in turn, as a deployment accumulates them: sessions, grants, user access and refresh
// tokens, machine tokens; each names a user (by a made-up id) and one of the clients.
const PAYLOADS = `
  INSERT INTO oidc_payloads (model, id, payload, grant_id, uid, expires_at)
  SELECT m.model, 'scale-' || g, jsonb_build_object('kind', m.model, 'jti', 'scale-' || g,
           'accountId', md5('u' || (g % 1000000))::uuid::text, 'clientId', 'scale-client-' || (1 + g % ?::int),
           'grantId', 'scale-grant-' || (g / 5), 'sessionUid', 'scale-uid-' || (g / 5)),
         CASE WHEN m.model <> 'Session' THEN 'scale-grant-' || (g / 5) END,
         CASE WHEN m.model = 'Session' THEN 'scale-uid-' || (g / 5) END,
         CASE WHEN g % 10 = 0 THEN now() - interval '1 hour' ELSE now() + interval '1 day' END
  FROM generate_series(?::int, ?::int) g
  CROSS JOIN LATERAL (SELECT (ARRAY['Session', 'Grant', 'AccessToken', 'RefreshToken', 'ClientCredentials'])[1 + g % 5] AS model) m`;

async function inBatches(
  total: number,
  insert: (from: number, to: number) => Promise<unknown>,
): Promise<void> {
  for (let from = 1; from <= total; from += BATCH) await insert(from, Math.min(total, from + BATCH - 1));
}

export interface ScaleChecks {
  /** Distinct statements seen during the scale run whose plan reads a table sequentially. */
  seqScans: string[];
  explained: number;
  /** The console's user search (by part of an email address and by name), best of three, ms. */
  userSearchMs: { email: number; name: number };
  /** One purge of every expiring table, with the seeded backlog of expired rows. */
  purge: { seconds: number; rows: Record<string, number> };
}

/** EXPLAIN of every statement the hot paths sent, the console's search, and the purge. */
export async function checkAtScale(
  gatehouse: Gatehouse,
  statements: Map<string, unknown[]>,
): Promise<ScaleChecks> {
  const db = gatehouse.db;
  const seqScans: string[] = [];
  let explained = 0;
  for (const [sql, bindings] of statements) {
    if (!/^\s*(select|with|insert|update|delete)/i.test(sql)) continue;
    explained++;
    const plan = await explain(db, sql, bindings);
    const scanned = [...new Set([...plan.matchAll(/Seq Scan on (\w+)/g)].map((m) => m[1] ?? ''))];
    if (!scanned.length) continue;
    // A scan of a table of a few rows (signing keys) is the planner's right choice; the size says which.
    const sizes = await Promise.all(scanned.map(async (t) => `${t} (~${await estimatedRows(db, t)} rows)`));
    seqScans.push(`${sizes.join(', ')}: ${sql.slice(0, 110).replace(/\s+/g, ' ')}`);
  }
  const best = async (query: string) => {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await gatehouse.userManager.searchUsers({ query, offset: 0, limit: 20 });
      times.push(performance.now() - t0);
    }
    return Math.min(...times);
  };
  const userSearchMs = { email: await best('user-654321@'), name: await best('Scale User 4242') };
  const t0 = performance.now();
  const rows = await purgeAll(gatehouse.expiring);
  return { seqScans, explained, userSearchMs, purge: { seconds: (performance.now() - t0) / 1000, rows } };
}

async function estimatedRows(db: Database, table: string): Promise<number> {
  const { rows } = await db.raw<{ rows: Array<{ n: number }> }>(
    'SELECT greatest(reltuples, 0)::bigint AS n FROM pg_class WHERE relname = ?',
    [table],
  );
  return Number(rows[0]?.n ?? 0);
}

async function explain(db: Database, sql: string, bindings: unknown[]): Promise<string> {
  // EXPLAIN of a data-modifying statement plans it without running it.
  const connection = await db.client.acquireConnection();
  try {
    const { rows } = await connection.query(`EXPLAIN ${sql}`, bindings);
    return (rows as Array<{ 'QUERY PLAN': string }>).map((r) => r['QUERY PLAN']).join('\n');
  } catch {
    return '';
  } finally {
    await db.client.releaseConnection(connection);
  }
}
