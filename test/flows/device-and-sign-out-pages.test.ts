import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_CODE_GRANT } from '../../src/oidc/client-settings.ts';
import { Browser, type Page, textOf } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { registerTestApp, signInWithPassword, TEST_REDIRECT_URI } from '../support/sign-in-flow.ts';

const USER = { email: 'tv.watcher@example.com', password: 'correct horse battery', name: 'Theo' };
const DEVICE_LIMIT = 10;

/**
 * The device flow's pages and the sign-out pages speak the person's language (here the one an
 * application's `ui_locales` chose), and typing device codes is rate-limited per address.
 */
describe('device and sign-out pages, translated', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({
      databaseUrl: db.url,
      env: { RATE_LIMIT_DEVICE_CODE_PER_IP: `${DEVICE_LIMIT}/600` },
    });
    await gh.gatehouse.userManager.createUser({ ...USER, emailVerified: true });
    await gh.gatehouse.clients.create({
      clientId: 'tv',
      name: 'Fernseher',
      public: true,
      redirectUris: [],
      postLogoutRedirectUris: [],
      grants: [DEVICE_CODE_GRANT],
      scopes: [],
      skipConsent: true,
    });
  });
  afterAll(async () => {
    await gh?.stop();
    await db?.drop();
  });

  const startDevice = async () => {
    const response = await fetch(`${gh.issuer}/device/auth`, {
      method: 'POST',
      body: new URLSearchParams({ client_id: 'tv', scope: 'openid email' }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { device_code: string; user_code: string; verification_uri: string };
  };
  const poll = async (deviceCode: string) =>
    (await fetch(`${gh.issuer}/token`, {
      method: 'POST',
      body: new URLSearchParams({ client_id: 'tv', grant_type: DEVICE_CODE_GRANT, device_code: deviceCode }),
    }).then((r) => r.json())) as Record<string, unknown>;
  const enterCode = (browser: Browser, page: Page, code: string) =>
    browser.submit(page, 'form[action$="/device"]', { user_code: code });

  it('connects a device in German, from the code page to "device connected"', async () => {
    const device = await startDevice();
    const browser = new Browser();
    const form = await browser.visit(`${device.verification_uri}?ui_locales=de`);
    expect(form.body).toContain('<html lang="de">');
    expect(textOf(form)).toContain('Gerät verbinden');
    const wrong = await enterCode(browser, form, 'BCDF-GHJK');
    expect(textOf(wrong)).toContain('Dieser Code ist ungültig');

    const confirm = await enterCode(browser, wrong, device.user_code);
    expect(textOf(confirm)).toContain('Fernseher verbinden?');
    const login = await browser.follow(
      await browser.submit(confirm, 'form[action$="/device"]', {}, { name: 'confirm', value: 'yes' }),
    );
    expect(textOf(login)).toContain('Anmelden');
    const done = await browser.follow(await browser.submit(login, 'form[action$="/login"]', USER));
    expect(textOf(done)).toContain('Gerät verbunden');
    expect(textOf(done)).toContain('Fernseher ist angemeldet');
    expect(await poll(device.device_code)).toMatchObject({ token_type: 'Bearer' });
  });

  it('refuses device codes typed from one address once it has tried too many', async () => {
    const device = await startDevice();
    const browser = new Browser();
    const statuses: number[] = [];
    let page = await browser.visit(device.verification_uri);
    for (let i = 0; i < DEVICE_LIMIT + 1 && !statuses.includes(429); i++) {
      const next = await enterCode(browser, page, `BCDF-${'GHJK'.slice(i % 4)}${'X'.repeat(i % 4)}`);
      statuses.push(next.status);
      if (next.status !== 429) page = next;
    }
    expect(statuses.at(-1)).toBe(429);
    // The right code is refused too from this address until the window passes: a guesser learns nothing.
    expect((await enterCode(browser, page, device.user_code)).status).toBe(429);
    expect(await poll(device.device_code)).toMatchObject({ error: 'authorization_pending' });
  });

  it('consents and signs out with an id_token_hint in French: one click, then the front-channel frames', async () => {
    const config = await registerTestApp(gh, {
      clientId: 'front-app',
      name: 'Appli Front',
      postLogoutRedirectUris: [`${TEST_REDIRECT_URI}/bye`],
      frontchannelLogoutUri: 'http://127.0.0.1:9/frontchannel-logout',
      skipConsent: false,
    });
    const browser = new Browser();
    const started = await signInWithPassword(browser, config, USER, { ui_locales: 'fr' });
    // The consent page describes each scope in French too.
    expect(textOf(started.page)).toContain('Voir votre adresse e-mail');
    expect(textOf(started.page)).toContain('Voir les groupes dont vous faites partie');
    const allowed = await browser.submit(
      started.page,
      'form[action$="/consent"]',
      {},
      { name: 'decision', value: 'allow' },
    );
    const tokens = await started.finish(allowed);
    const end = new URL(`${gh.issuer}/session/end`);
    end.search = new URLSearchParams({
      id_token_hint: tokens.id_token ?? '',
      post_logout_redirect_uri: `${TEST_REDIRECT_URI}/bye`,
    }).toString();
    const auto = await browser.visit(end.toString());
    expect(auto.body).toContain('<html lang="fr">');
    expect(textOf(auto)).toContain('Déconnexion en cours');
    expect(textOf(auto)).toContain('Appli Front a demandé votre déconnexion.');

    const frames = await browser.submit(auto, 'form[data-autosubmit]');
    expect(frames.status).toBe(200);
    expect(textOf(frames)).toContain('Déconnexion de : Appli Front');
    expect(frames.body).toContain('title="Déconnexion de Appli Front"');
    expect(frames.body).toContain('data-src="http://127.0.0.1:9/frontchannel-logout?iss=');
  });
});
