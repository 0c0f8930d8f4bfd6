import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../src/db/database.ts';
import { migrateLatest } from '../../src/db/migrations.ts';
import { AdapterScope } from '../../src/oidc/adapter-scope.ts';
import { flushWrites } from '../../src/oidc/payload-flush.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

/**
 * Issue 10 (faults): 20 parallel redemptions of one code sometimes gave tokens to two of them under
 * load. A request's consume ran in a transaction whose `now()` was earlier than the rival's that
 * had consumed the code first, and "consumed less than 0 seconds ago" compared the two clocks.
 * Here the race is set up exactly: the loser's transaction begins first, the winner commits first.
 */
describe('a code is consumed once, whichever transaction began first', () => {
  let database: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDatabase(database.url);
    await migrateLatest(db);
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  const consumeIn = (runner: Database, model: string, id: string, reuseSeconds: number) => {
    const scope = new AdapterScope(true);
    scope.consume(model, id);
    return flushWrites(runner, scope, { removalsOnly: false, reuseSeconds }).then((r) => r.ok);
  };

  async function race(model: string, id: string, reuseSeconds: number) {
    await db('oidc_payloads').insert({ model, id, payload: JSON.stringify({ jti: id }) });
    const loser = await db.transaction();
    try {
      // Fixes the loser's now() before the winner's.
      await loser.raw('SELECT now()');
      await new Promise((resolve) => setTimeout(resolve, 20));
      const won = await consumeIn(db, model, id, reuseSeconds);
      const lost = await consumeIn(loser as unknown as Database, model, id, reuseSeconds);
      await loser.commit();
      return { won, lost };
    } catch (error) {
      await loser.rollback();
      throw error;
    }
  }

  it('refuses the second consume of an authorization code', async () => {
    expect(await race('AuthorizationCode', 'code-1', 0)).toEqual({ won: true, lost: false });
  });

  it('refuses the second consume of a refresh token when there is no reuse window', async () => {
    expect(await race('RefreshToken', 'refresh-1', 0)).toEqual({ won: true, lost: false });
  });

  it('lets a refresh token be used again inside the reuse window', async () => {
    expect(await race('RefreshToken', 'refresh-2', 60)).toEqual({ won: true, lost: true });
  });
});
