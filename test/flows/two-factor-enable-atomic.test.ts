import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatehouseSetup, startOnTestDatabase } from '../support/gatehouse-setup.ts';

/**
 * Turning on a first second factor writes the method and its recovery codes together. A database
 * fault while the codes are written (a trigger refusing the insert, as a full disk or a killed
 * connection would) must leave the account as it was: not a second factor whose recovery codes
 * the user never saw.
 */
describe('enabling two-factor when the database fails half-way', () => {
  let setup: GatehouseSetup;

  beforeAll(async () => {
    setup = await startOnTestDatabase();
  });
  afterAll(async () => {
    await setup?.close();
  });

  it('keeps two-factor off after the failure, and a retry turns it on with recovery codes', async () => {
    const { twoFactor, userManager, db } = setup.gh.gatehouse;
    const user = await userManager.createUser({
      email: 'half.way@example.com',
      password: 'a long enough password',
    });
    const { secret } = await twoFactor.beginTotp(user);

    await db.raw(`CREATE FUNCTION refuse_codes() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN RAISE EXCEPTION 'injected fault: recovery codes not stored'; END $$`);
    await db.raw(
      'CREATE TRIGGER refuse_codes BEFORE INSERT ON recovery_codes EXECUTE FUNCTION refuse_codes()',
    );
    await expect(twoFactor.confirmTotp(user, await generate({ secret }))).rejects.toThrow(/injected fault/);
    expect(await twoFactor.enabledProviders(user)).toEqual([]);

    await db.raw('DROP TRIGGER refuse_codes ON recovery_codes');
    // The failed attempt used no step: the same code, still current, works now.
    const enabled = await twoFactor.confirmTotp(user, await generate({ secret }));
    expect(enabled.recoveryCodes).toHaveLength(10);
    expect(await twoFactor.enabledProviders(user)).toEqual(['totp', 'recovery']);
  });
});
