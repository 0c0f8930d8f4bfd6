import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Every notification, as Umbraco's audit trail: who did what to whom, when, from where.
  await knex.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id').primary();
    t.string('type', 64).notNullable();
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.string('ip', 64);
    t.uuid('affected_user_id');
    t.uuid('performing_user_id');
    t.jsonb('details').notNullable().defaultTo('{}');
    t.index(['affected_user_id', 'at']);
    t.index(['type', 'at']);
  });

  // Emails kept when no SMTP server is configured, so an operator can still read invitations.
  await knex.schema.createTable('outbox', (t) => {
    t.bigIncrements('id').primary();
    t.string('email_type', 32).notNullable();
    t.string('to', 320).notNullable();
    t.string('subject', 255).notNullable();
    t.text('text').notNullable();
    t.text('html');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  // Ending all sessions and grants of one user must not scan every token.
  await knex.raw("CREATE INDEX oidc_payloads_account_id_idx ON oidc_payloads ((payload->>'accountId'))");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS oidc_payloads_account_id_idx');
  await knex.schema.dropTable('outbox');
  await knex.schema.dropTable('audit_events');
}
