import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Every oidc-provider model but Client, one row per artefact, the payload as oidc-provider gives it.
  await knex.schema.createTable('oidc_payloads', (t) => {
    t.string('model', 64).notNullable();
    t.string('id', 255).notNullable();
    t.jsonb('payload').notNullable();
    t.string('grant_id', 255);
    t.string('user_code', 255);
    t.string('uid', 255);
    t.timestamp('expires_at', { useTz: true });
    t.timestamp('consumed_at', { useTz: true });
    t.primary(['model', 'id']);
    t.index(['grant_id'], 'oidc_payloads_grant_id_idx');
    t.index(['uid'], 'oidc_payloads_uid_idx');
    t.index(['user_code'], 'oidc_payloads_user_code_idx');
    t.index(['expires_at'], 'oidc_payloads_expires_at_idx');
  });

  await knex.schema.createTable('signing_keys', (t) => {
    t.string('kid', 64).primary();
    t.string('alg', 16).notNullable();
    t.text('private_jwk_encrypted').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // Set when a newer key of the same algorithm replaces it; it stays published until tokens
    // signed with it have expired, then `expires_at` passes and it is dropped from /jwks.
    t.timestamp('retired_at', { useTz: true });
    t.timestamp('expires_at', { useTz: true });
  });

  await knex.schema.createTable('clients', (t) => {
    t.string('client_id', 255).primary();
    t.jsonb('metadata').notNullable();
    t.text('client_secret_encrypted');
    t.boolean('skip_consent').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('users', (t) => {
    t.uuid('id').primary();
    t.string('email', 320).notNullable();
    t.string('name', 255).notNullable().defaultTo('');
    t.specificType('groups', 'text[]').notNullable().defaultTo('{}');
    t.text('password_hash');
    t.string('status', 16).notNullable().defaultTo('active');
    t.boolean('email_verified').notNullable().defaultTo(false);
    t.string('security_stamp', 64).notNullable();
    t.integer('failed_count').notNullable().defaultTo(0);
    t.timestamp('lockout_end', { useTz: true });
    t.timestamp('last_login_at', { useTz: true });
    t.timestamp('password_changed_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('CREATE UNIQUE INDEX users_email_lower_idx ON users (lower(email))');
  await knex.raw(
    "ALTER TABLE users ADD CONSTRAINT users_status_check CHECK (status IN ('invited', 'active', 'disabled'))",
  );

  // Single-use links (first-run setup, invitations, password resets): only the hash is stored.
  await knex.schema.createTable('one_time_tokens', (t) => {
    t.string('token_hash', 64).primary();
    t.string('purpose', 32).notNullable();
    t.uuid('user_id').references('users.id').onDelete('CASCADE');
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('consumed_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['user_id', 'purpose']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('one_time_tokens');
  await knex.schema.dropTable('users');
  await knex.schema.dropTable('clients');
  await knex.schema.dropTable('signing_keys');
  await knex.schema.dropTable('oidc_payloads');
}
