import type { Knex } from 'knex';

/**
 * Deleting a client removes everything issued to it (`payload->>'clientId'`); without this index
 * that is a scan of the whole table, which at millions of rows holds the delete for seconds.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw("CREATE INDEX oidc_payloads_client_id_idx ON oidc_payloads ((payload->>'clientId'))");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS oidc_payloads_client_id_idx');
}
