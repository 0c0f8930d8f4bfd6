import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Upstream OIDC providers an admin attached (`gatehouse provider …`).
  await knex.schema.createTable('external_providers', (t) => {
    t.string('alias', 64).primary();
    t.string('display_name', 255).notNullable();
    t.string('issuer', 2048).notNullable();
    t.string('client_id', 255).notNullable();
    t.text('client_secret_encrypted').notNullable();
    t.specificType('scopes', 'text[]').notNullable().defaultTo('{openid,profile,email}');
    // Everything else of DESIGN.md's option table, as one document.
    t.jsonb('options').notNullable().defaultTo('{}');
    t.integer('sort_order').notNullable().defaultTo(0);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  // A local user's identity at an upstream provider. Keyed by alias, not by a foreign key, so that
  // removing a provider detaches its links and adding the alias again restores them.
  await knex.schema.createTable('external_logins', (t) => {
    t.string('provider_alias', 64).notNullable();
    t.string('subject', 255).notNullable();
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.string('email', 320);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_used_at', { useTz: true });
    t.primary(['provider_alias', 'subject']);
    t.index(['user_id']);
  });

  // One upstream round trip in flight: PKCE verifier, nonce, and what it is for.
  await knex.schema.createTable('external_auth_requests', (t) => {
    t.string('state', 64).primary();
    t.string('provider_alias', 64).notNullable();
    t.string('purpose', 16).notNullable();
    t.string('interaction_uid', 64);
    t.uuid('user_id');
    t.text('code_verifier').notNullable();
    t.string('nonce', 64).notNullable();
    t.text('invite_token');
    t.timestamp('expires_at', { useTz: true }).notNullable();
  });

  // What the upstream said when a Gatehouse session was made from it: needed for federated and
  // back-channel logout. Tokens encrypted with SECRET_KEY.
  await knex.schema.createTable('external_sessions', (t) => {
    t.bigIncrements('id').primary();
    t.string('session_uid', 64);
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.string('provider_alias', 64).notNullable();
    t.string('subject', 255).notNullable();
    t.string('upstream_sid', 255);
    t.text('id_token_encrypted').notNullable();
    t.text('refresh_token_encrypted');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['session_uid']);
    t.index(['provider_alias', 'upstream_sid']);
    t.index(['provider_alias', 'subject']);
  });

  // Pending federated logouts: where to send the browser when the upstream hands it back.
  await knex.schema.createTable('logout_continuations', (t) => {
    t.string('state', 64).primary();
    t.text('return_to').notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'logout_continuations',
    'external_sessions',
    'external_auth_requests',
    'external_logins',
    'external_providers',
  ]) {
    await knex.schema.dropTable(table);
  }
}
