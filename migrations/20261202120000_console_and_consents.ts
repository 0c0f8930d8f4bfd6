import type { Knex } from 'knex';

/**
 * The built-in client through which Gatehouse's own pages (/account, /admin) sign people in, and
 * the consents people gave, remembered per user and application instead of per browser session.
 * And where each browser session was last seen.
 * The console client's redirect URI follows ISSUER at run time (see src/oidc/console-client.ts),
 * so only its id and kind are stored here.
 */
export async function up(knex: Knex): Promise<void> {
  await knex('clients')
    .insert({
      client_id: 'gatehouse-console',
      metadata: JSON.stringify({
        client_id: 'gatehouse-console',
        client_name: 'Gatehouse console',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [],
        post_logout_redirect_uris: [],
        scope: 'openid',
      }),
      client_secret_encrypted: null,
      skip_consent: true,
    })
    .onConflict('client_id')
    .ignore();

  await knex.schema.createTable('consents', (t) => {
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.string('client_id', 255).notNullable().references('clients.client_id').onDelete('CASCADE');
    t.specificType('scopes', 'text[]').notNullable().defaultTo('{}');
    t.specificType('claims', 'text[]').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['user_id', 'client_id']);
  });

  // Where and on what a browser session was last seen, keyed by the session's stable uid
  // (its id changes when the session is renewed); shown on /account/sessions and in the console.
  await knex.schema.createTable('session_activity', (t) => {
    t.string('session_uid', 64).primary();
    t.string('account_id', 64).notNullable().index();
    t.string('ip', 64);
    t.string('user_agent', 512);
    t.timestamp('first_seen', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_seen', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('session_activity');
  await knex.schema.dropTable('consents');
  await knex('clients').where({ client_id: 'gatehouse-console' }).delete();
}
