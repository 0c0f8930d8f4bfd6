import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: the example is plain JavaScript, as a reader would save it.
import { startDemo } from '../../examples/demo-client.mjs';
import { Browser } from '../support/browser.ts';
import { freePort, startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { registerTestClient } from '../support/sign-in-flow.ts';

const ADA = {
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  password: 'correct horse battery',
  groups: ['editors'],
};

interface Demo {
  url: string;
  close(): Promise<void>;
}

describe('examples/demo-client.mjs, the README’s demo', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let demo: Demo;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url });
    await gh.gatehouse.userManager.createUser(ADA);
    const port = await freePort();
    const { secret } = await registerTestClient(gh, {
      clientId: 'demo',
      name: 'Demo',
      public: false,
      redirectUris: [`http://127.0.0.1:${port}/callback`],
    });
    demo = (await startDemo({
      issuer: gh.issuer,
      clientId: 'demo',
      clientSecret: secret,
      port,
      host: '127.0.0.1',
    })) as Demo;
  });
  afterAll(async () => {
    await demo?.close();
    await gh?.stop();
    await db?.drop();
  });

  it('signs Ada in and shows her claims, then answers the browser’s /favicon.ico without crashing', async () => {
    const browser = new Browser();
    const login = await browser.visit(demo.url);
    expect(login.url).toContain('/interaction/');
    const done = await browser.follow(
      await browser.submit(login, 'form[action$="/login"]', { email: ADA.email, password: ADA.password }),
    );
    expect(done.status).toBe(200);
    const shown = JSON.parse(done.body) as { id_token: { sub: string }; userinfo: Record<string, unknown> };
    expect(shown.userinfo).toMatchObject({ email: ADA.email, name: ADA.name, groups: ['editors'] });

    const favicon = await fetch(new URL('/favicon.ico', demo.url));
    expect(favicon.status).toBe(404);
    expect((await fetch(new URL('/callback', demo.url))).status).toBe(400);
    expect((await fetch(demo.url, { redirect: 'manual' })).status).toBe(302);
  });
});
