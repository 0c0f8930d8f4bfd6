import type { Database } from '../db/database.ts';

/** SQL for `external_group_grants`: which of a user's groups an upstream gave them. */
export class ExternalGroupStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Groups `providerAlias` gave the user, or (`others`) the groups every other provider gave. */
  async granted(userId: string, providerAlias: string, whose: 'this' | 'others' = 'this'): Promise<string[]> {
    const q = this.#db('external_group_grants').where({ user_id: userId });
    if (whose === 'this') q.andWhere({ provider_alias: providerAlias });
    else q.andWhereNot({ provider_alias: providerAlias });
    const rows: Array<{ group_name: string }> = await q.select('group_name');
    return [...new Set(rows.map((r) => r.group_name))].sort();
  }

  async replace(userId: string, providerAlias: string, groups: string[]): Promise<void> {
    await this.#db.transaction(async (trx) => {
      await trx('external_group_grants').where({ user_id: userId, provider_alias: providerAlias }).delete();
      if (groups.length === 0) return;
      await trx('external_group_grants').insert(
        groups.map((g) => ({ user_id: userId, provider_alias: providerAlias, group_name: g })),
      );
    });
  }
}
