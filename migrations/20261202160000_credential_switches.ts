import type { Knex } from 'knex';

/**
 * Two choices an administrator makes for one person (issue 9's credential rules):
 * `users.local_password_allowed` lets someone without a local password (an upstream-only user) get
 * one through "Forgot password"; `one_time_tokens.allow_other_email` lets an invitation be
 * accepted through an upstream account whose address differs from the one invited.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.boolean('local_password_allowed').notNullable().defaultTo(false);
  });
  await knex.schema.alterTable('one_time_tokens', (t) => {
    t.boolean('allow_other_email').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('one_time_tokens', (t) => {
    t.dropColumn('allow_other_email');
  });
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('local_password_allowed');
  });
}
