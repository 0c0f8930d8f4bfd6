import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../src/db/database.ts';
import { migrateLatest } from '../../src/db/migrations.ts';
import { ACCOUNT_ROWS } from '../../src/users/account-rows.ts';
import { createUserStore } from '../../src/users/user-store.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

/**
 * The account the OIDC adapter reads with a token (one statement instead of two) must be the very
 * user `findById` answers: same fields, same types, no password hash. A column added to `users`
 * and mapped in `toUser` but lost on this path would fail here.
 */
describe('accounts read inside the adapter statement', () => {
  let test: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    test = await createTestDatabase();
    db = createDatabase(test.url);
    await migrateLatest(db);
  });
  afterAll(async () => {
    await db?.destroy();
    await test?.drop();
  });

  it('parses to the same user as findById, and never carries the hash', async () => {
    const users = createUserStore(db);
    const withPassword = await users.insert({
      email: 'Row@Example.com',
      name: 'Row',
      groups: ['staff', 'admin'],
      passwordHash: 'secret-hash',
      status: 'active',
    });
    const without = await users.insert({
      email: 'nohash@example.com',
      name: '',
      groups: [],
      passwordHash: null,
      status: 'invited',
    });
    await users.setLockoutEnd(withPassword.id, new Date(Date.now() + 60_000));
    await users.completeSignIn(without.id);
    const ids = [withPassword.id, without.id, 'not-a-uuid'];
    const { rows } = await db.raw<{ rows: Array<{ id: string; account: Record<string, unknown> }> }>(
      ACCOUNT_ROWS.sql('?::text[]'),
      [ids],
    );
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(JSON.stringify(row.account)).not.toContain('secret-hash');
      expect(ACCOUNT_ROWS.parse(row.account)).toEqual(await users.findById(row.id));
    }
  });
});
