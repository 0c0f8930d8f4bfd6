import type { Knex } from 'knex';

/**
 * The console's user search (`email or name contains …`, `member of group …`, paged in email
 * order) over thousands of users. A substring match (ILIKE '%q%') can only use a trigram index,
 * so pg_trgm is created when the server offers it (it is a trusted extension from PostgreSQL 13,
 * so a database owner may create it). Where it cannot be created, the search still works, as a
 * scan, and email prefixes still find their way through a text_pattern_ops index. A savepoint
 * keeps a refused CREATE EXTENSION from aborting the migrations' transaction.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX users_groups_gin_idx ON users USING gin (groups)');
  await knex.raw('CREATE INDEX users_email_pattern_idx ON users (lower(email) text_pattern_ops)');
  if (await trigramsAvailable(knex)) {
    await knex.raw('CREATE INDEX users_email_trgm_idx ON users USING gin (email gin_trgm_ops)');
    await knex.raw('CREATE INDEX users_name_trgm_idx ON users USING gin (name gin_trgm_ops)');
  }
}

async function trigramsAvailable(knex: Knex): Promise<boolean> {
  const offered = await knex.raw("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'");
  if (offered.rows.length === 0) return false;
  await knex.raw('SAVEPOINT user_search_trgm');
  try {
    await knex.raw('CREATE EXTENSION IF NOT EXISTS pg_trgm');
    await knex.raw('RELEASE SAVEPOINT user_search_trgm');
    return true;
  } catch {
    await knex.raw('ROLLBACK TO SAVEPOINT user_search_trgm');
    return false;
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const index of [
    'users_name_trgm_idx',
    'users_email_trgm_idx',
    'users_email_pattern_idx',
    'users_groups_gin_idx',
  ]) {
    await knex.raw(`DROP INDEX IF EXISTS ${index}`);
  }
}
