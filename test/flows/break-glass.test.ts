import { Writable } from 'node:stream';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/users/user.ts';
import { ApiClient } from '../support/api-client.ts';
import { Browser, type Page, textOf } from '../support/browser.ts';
import { type EntraLikeOp, startEntraLike } from '../support/entra-like-op.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { registerUpstream } from '../support/upstream-flow.ts';

const ROOT = { email: 'root@example.com', password: 'root break glass 1', groups: ['admin', 'breakglass'] };
const BARE = { email: 'bare@example.com', password: 'bare break glass 1', groups: ['admin', 'breakglass'] };
const EVE = { email: 'eve@example.com', password: 'eve the admin 123', groups: ['admin'] };

/**
 * Break-glass: under DenyLocalLogin (and with the upstream redirected to automatically), members of
 * BREAK_GLASS_GROUP still sign in at /break-glass with their password and the second factor they
 * set up, through the pipeline, announced by an audit event and a warning in the log; anyone else,
 * or a member without a second factor, is refused.
 */
describe('break-glass under DenyLocalLogin', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let entra: EntraLikeOp;
  let root: User;
  let rootSecret: string;
  const log: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({
      databaseUrl: db.url,
      env: { BREAK_GLASS_GROUP: 'breakglass', LOG_LEVEL: 'warn' },
      logStream: new Writable({
        write(chunk, _encoding, done) {
          log.push(String(chunk));
          done();
        },
      }),
    });
    entra = await startEntraLike({ gatehouseIssuer: gh.issuer, alias: 'entra', users: [] });
    await registerUpstream(gh, entra, {
      options: { preset: 'entra', denyLocalLogin: true, autoRedirect: true },
    });
    const manager = gh.gatehouse.userManager;
    root = await manager.createUser(ROOT);
    await manager.createUser(BARE);
    const eve = await manager.createUser(EVE);
    rootSecret = (await gh.gatehouse.twoFactor.beginTotp(root)).secret;
    await gh.gatehouse.twoFactor.confirmTotp(root, await generate({ secret: rootSecret }));
    const eveSecret = (await gh.gatehouse.twoFactor.beginTotp(eve)).secret;
    await gh.gatehouse.twoFactor.confirmTotp(eve, await generate({ secret: eveSecret }));
  });
  afterAll(async () => {
    await gh?.stop();
    await entra?.close();
    await db?.drop();
  });

  const isAuthenticated = async (browser: Browser) =>
    (await new ApiClient(browser, gh.issuer).get('/api/auth/is-authenticated')).json.isAuthenticated;

  async function passwordAtBreakGlass(browser: Browser, credentials: { email: string; password: string }) {
    const form = await browser.visit(`${gh.issuer}/break-glass`);
    expect(form.url).toContain('/interaction/');
    expect(textOf(form)).toContain('Emergency sign-in');
    return browser.follow(await browser.submit(form, 'form[action$="/login"]', credentials));
  }

  it('without /break-glass, the console sign-in goes straight upstream and passwords are refused', async () => {
    const browser = new Browser();
    const toUpstream = await browser.visit(`${gh.issuer}/admin`, (url) => url.startsWith(entra.issuer));
    expect(toUpstream.location).toMatch(new RegExp(`^${entra.issuer}/auth`));
    const refused = await new ApiClient(new Browser(), gh.issuer).post('/api/auth/login', {
      username: ROOT.email,
      password: ROOT.password,
    });
    expect(refused.status).toBe(403);
  });

  it('signs a member in with password and second factor, into the console, loudly', async () => {
    const browser = new Browser();
    const asked: Page = await passwordAtBreakGlass(browser, ROOT);
    expect(textOf(asked)).toContain('Confirm it is you');
    expect(await isAuthenticated(browser)).toBe(false);
    const code = await generate({ secret: rootSecret, epoch: Math.floor(Date.now() / 1000) + 30 });
    const done = await browser.follow(
      await browser.submit(asked, 'form[action$="/two-factor"]', { provider: 'totp', code }),
    );
    expect(done.url).toMatch(new RegExp(`^${gh.issuer}/admin`));
    expect(done.status).toBe(200);
    expect(await isAuthenticated(browser)).toBe(true);
    const events = await gh.gatehouse.audit.list({ type: 'BreakGlassSignIn', affectedUserId: root.id });
    expect(events).toHaveLength(1);
    expect(events[0]?.details).toMatchObject({ group: 'breakglass' });
    expect(log.some((line) => line.includes('BREAK-GLASS sign-in past DenyLocalLogin completed'))).toBe(true);
  });

  it('refuses someone outside the group, even an administrator with the right password and a second factor', async () => {
    const browser = new Browser();
    const refused = await passwordAtBreakGlass(browser, EVE);
    expect(refused.status).toBe(400);
    expect(textOf(refused)).toContain('The email address or password is incorrect.');
    expect(await isAuthenticated(browser)).toBe(false);
  });

  it('refuses a member who has no second factor set up, rather than letting the password enrol one', async () => {
    const browser = new Browser();
    const refused = await passwordAtBreakGlass(browser, BARE);
    expect(refused.status).toBe(400);
    expect(textOf(refused)).not.toContain('Confirm it is you');
    expect(await isAuthenticated(browser)).toBe(false);
  });

  it('is not there when no BREAK_GLASS_GROUP is set', async () => {
    const plain = await startGatehouse({ databaseUrl: db.url });
    try {
      const page = await new Browser().visit(`${plain.issuer}/break-glass`);
      expect(page.status).toBe(404);
    } finally {
      await plain.stop();
    }
  });
});
