import { createHash } from 'node:crypto';
import type { Knex } from 'knex';

/**
 * Named statements for the hot paths. PostgreSQL parses, analyses and plans an unnamed statement
 * on every execution; a named one once per connection, after which only Bind and Execute travel.
 * The token write (rate-limit gate and token insert in one CTE) spent ~650 µs of backend CPU
 * unnamed against ~250 µs named, measured on this project's 2-core machine (bench/README.md).
 *
 * Off (`DATABASE_PREPARED_STATEMENTS=false`) behind a transaction pooler that does not track
 * prepared statements (pgbouncer before 1.21, or without `max_prepared_statements`): there the
 * next transaction may land on a server connection that never saw the Parse.
 */
const naming = new WeakSet<object>();

/** Called once by whoever creates the pool: its statements may be named from now on. */
export function namePreparedStatements(db: Knex): void {
  naming.add(configOf(db));
}

/**
 * `db.raw(sql, bindings)`, named after its text when the pool allows it. Only for statements whose
 * text comes from a bounded set of shapes: every distinct text stays prepared on every connection.
 */
export function preparedRaw(db: Knex | Knex.Transaction, sql: string, bindings: Knex.RawBinding[]): Knex.Raw {
  const raw = db.raw(sql, bindings);
  return naming.has(configOf(db)) ? raw.options({ name: statementName(sql) }) : raw;
}

const names = new Map<string, string>();

function statementName(sql: string): string {
  let name = names.get(sql);
  if (!name) {
    // PostgreSQL identifiers stop at 63 bytes; 20 hex digits of SHA-1 keep collisions out of reach.
    name = `gh_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
    if (names.size < 1000) names.set(sql, name);
  }
  return name;
}

/** A transaction's client shares its pool's config object, so one mark covers both. */
function configOf(db: Knex | Knex.Transaction): object {
  const client: unknown = db.client;
  const config = (client as { config?: unknown }).config;
  return typeof config === 'object' && config !== null ? config : (client as object);
}
