import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // One row per enabled (or pending) second factor of a user.
  await knex.schema.createTable('user_two_factor', (t) => {
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.string('provider', 16).notNullable();
    // TOTP secret, AES-256-GCM with SECRET_KEY; never stored in the clear.
    t.text('secret_encrypted');
    // The last TOTP time step accepted: a code is never accepted twice.
    t.bigInteger('last_used_step');
    t.timestamp('confirmed_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['user_id', 'provider']);
  });
  await knex.raw(
    "ALTER TABLE user_two_factor ADD CONSTRAINT user_two_factor_provider_check CHECK (provider IN ('totp', 'email'))",
  );

  await knex.schema.createTable('recovery_codes', (t) => {
    t.bigIncrements('id').primary();
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.string('code_hash', 64).notNullable();
    t.timestamp('used_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['user_id', 'code_hash']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('recovery_codes');
  await knex.schema.dropTable('user_two_factor');
}
