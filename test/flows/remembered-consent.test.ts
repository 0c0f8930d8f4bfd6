import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, textOf } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { authorize, isActive, redeem, registerApp, type TestApp } from '../support/sign-in.ts';

describe('consent is remembered per user and application, and revocable from the account page', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let app: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    app = await registerApp(gh);
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  it('asks once; a new session of the same user is not asked again; revoking asks again and ends the tokens', async () => {
    expect((await authorize(new Browser(), app.config)).pages).toEqual(['login', 'consent']);

    const second = new Browser();
    const again = await authorize(second, app.config);
    expect(again.pages).toEqual(['login']);
    const tokens = await redeem(app.config, again);
    expect(await isActive(app, tokens.access_token)).toBe(true);

    const list = await second.visit(`${gh.issuer}/account/applications`);
    expect(list.status).toBe(200);
    expect(textOf(list)).toContain('Web App');
    const revoked = await second.follow(await second.submit(list, 'form[action$="/revoke"]'));
    expect(textOf(revoked)).toContain('access is revoked');
    expect(textOf(revoked)).toContain('You have not allowed any application yet');
    expect(await isActive(app, tokens.access_token)).toBe(false);

    expect((await authorize(new Browser(), app.config)).pages).toEqual(['login', 'consent']);
  });

  it('lists the sessions with device and IP, and ends every other one', async () => {
    const here = new Browser();
    await authorize(here, app.config);
    const elsewhere = new Browser();
    await authorize(elsewhere, app.config);
    const page = await here.visit(`${gh.issuer}/account/sessions`);
    expect(page.status).toBe(200);
    expect(textOf(page)).toContain('This device');
    expect(textOf(page)).toContain('127.0.0.1');
    const ended = await here.follow(await here.submit(page, 'form[action$="/end-others"]'));
    expect(textOf(ended)).toContain('Every other session has ended');
    expect((await elsewhere.request(`${gh.issuer}/account/sessions`)).status).toBe(302);
    expect((await here.request(`${gh.issuer}/account/sessions`)).status).toBe(200);
  });
});
