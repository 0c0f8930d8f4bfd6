import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('external_providers', (t) => {
    // `oidc` (discovery, ID token) or `oauth2` (authorize, token and a user-info URL, e.g. GitHub).
    t.string('kind', 16).notNullable().defaultTo('oidc');
    // For private_key_jwt towards the upstream; encrypted with SECRET_KEY like the client secret.
    t.text('client_private_key_encrypted');
  });

  await knex.schema.alterTable('external_sessions', (t) => {
    // Plain OAuth2 upstreams have no ID token; re-checks use the access token when there is no
    // refresh token (GitHub).
    t.text('access_token_encrypted');
    t.timestamp('checked_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.alterTable('external_sessions', (t) => {
    t.text('id_token_encrypted').nullable().alter();
    t.index(['checked_at']);
  });

  // Groups a user has because an upstream asserted them: removed when it stops asserting them,
  // while groups an admin gave stay.
  await knex.schema.createTable('external_group_grants', (t) => {
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.string('provider_alias', 64).notNullable();
    t.string('group_name', 64).notNullable();
    t.primary(['user_id', 'provider_alias', 'group_name']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('external_group_grants');
  await knex.schema.alterTable('external_sessions', (t) => {
    t.dropIndex(['checked_at']);
    t.dropColumn('access_token_encrypted');
    t.dropColumn('checked_at');
  });
  await knex.schema.alterTable('external_providers', (t) => {
    t.dropColumn('kind');
    t.dropColumn('client_private_key_encrypted');
  });
}
