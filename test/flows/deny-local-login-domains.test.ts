import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { Browser, textOf } from '../support/browser.ts';
import { type EntraLikeOp, startEntraLike } from '../support/entra-like-op.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { registerTestApp, signInWithPassword } from '../support/sign-in-flow.ts';
import { registerUpstream, signInThroughUpstream } from '../support/upstream-flow.ts';

const CARA = { email: 'cara@contoso.com', password: 'cara local password' };
const PAT = { email: 'pat@example.com', password: 'pat local password' };

/**
 * DenyLocalLogin scoped to email domains (DENY_LOCAL_LOGIN_DOMAINS=contoso.com): users of
 * @contoso.com must use Entra, on the page and in the API; everyone else keeps their password.
 */
describe('DenyLocalLogin for some email domains', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let entra: EntraLikeOp;
  let config: oidc.Configuration;

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({ databaseUrl: db.url, env: { DENY_LOCAL_LOGIN_DOMAINS: 'Contoso.com' } });
    entra = await startEntraLike({
      gatehouseIssuer: gh.issuer,
      alias: 'entra',
      users: [{ sub: 'e-cara', upn: CARA.email, xms_edov: true }],
    });
    // The provider's own switch is on too: the domains scope it.
    await registerUpstream(gh, entra, {
      options: {
        preset: 'entra',
        denyLocalLogin: true,
        autoLink: { mode: 'link-only', matchClaim: 'upn', linkSilently: true },
      },
    });
    for (const user of [CARA, PAT]) await gh.gatehouse.userManager.createUser(user);
    config = await registerTestApp(gh);
  });
  afterAll(async () => {
    await gh?.stop();
    await entra?.close();
    await db?.drop();
  });

  it('keeps the password form, and signs in a user of another domain with their password', async () => {
    const { page, finish } = await signInWithPassword(new Browser(), config, PAT);
    expect((await finish(page)).claims()).toMatchObject({ email: PAT.email, amr: ['pwd'] });
  });

  it('refuses the password of a contoso.com user, saying to use the organisation’s sign-in', async () => {
    const { page } = await signInWithPassword(new Browser(), config, CARA);
    expect(page.status).toBe(403);
    expect(textOf(page)).toContain('Signing in with a password is turned off for your address.');
    const api = await new ApiClient(new Browser(), gh.issuer).post('/api/auth/login', {
      username: CARA.email,
      password: CARA.password,
    });
    expect(api.status).toBe(403);
    expect(api.json).toMatchObject({ error: 'local_login_denied' });
    const other = await new ApiClient(new Browser(), gh.issuer).post('/api/auth/login', {
      username: PAT.email,
      password: PAT.password,
    });
    expect(other.status).toBe(200);
  });

  it('lets the contoso.com user in through Entra', async () => {
    const { page, finish } = await signInThroughUpstream(new Browser(), config, entra, 'e-cara');
    expect((await finish(page)).claims()).toMatchObject({ email: CARA.email, amr: ['fed'] });
  });
});
