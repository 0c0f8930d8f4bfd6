import type { Knex } from 'knex';

/**
 * The language a user last chose (at sign-in, or the one their invitation was written in), so that
 * the emails sent to them later, by an administrator or a process, are written in it too.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.string('locale', 8).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('locale');
  });
}
