import type { Knex } from 'knex';

/**
 * Invitation and password-reset links are bound to the security stamp the user had when the link
 * was made: a password set by anyone (or any other credential change) kills outstanding links.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('one_time_tokens', (t) => {
    t.string('security_stamp', 64);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('one_time_tokens', (t) => {
    t.dropColumn('security_stamp');
  });
}
