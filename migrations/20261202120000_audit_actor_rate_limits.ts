import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Who acted: a user, a machine client (client_credentials) or the command line with its OS user.
  // performing_user_id stays for user actors; a client id is not a UUID and has no place there.
  await knex.schema.alterTable('audit_events', (t) => {
    t.string('actor_kind', 8);
    t.string('actor_id', 255);
    t.index(['at']);
  });
  // Rate-limit windows shared by every node. UNLOGGED: counters need no crash safety (a crash
  // empties them, which only forgives recent attempts), and skipping the WAL keeps writes cheap.
  await knex.raw(`
    CREATE UNLOGGED TABLE rate_limit_hits (
      key text PRIMARY KEY,
      window_start timestamptz NOT NULL,
      previous_count integer NOT NULL DEFAULT 0,
      current_count integer NOT NULL DEFAULT 0
    )`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('rate_limit_hits');
  await knex.schema.alterTable('audit_events', (t) => {
    t.dropIndex(['at']);
    t.dropColumn('actor_kind');
    t.dropColumn('actor_id');
  });
}
