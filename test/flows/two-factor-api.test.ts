import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/api-client.ts';
import { Browser } from '../support/browser.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.ts';

const PASSWORD = 'correct horse battery';

describe('two-factor through /api/auth (402 flow)', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let smtp: SmtpSink;
  let secret: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    smtp = await startSmtpSink();
    gh = await startGatehouse({ databaseUrl: db.url, env: { SMTP_URL: smtp.url } });
    const user = await gh.gatehouse.userManager.createUser({
      email: 'twofa@example.com',
      password: PASSWORD,
    });
    ({ secret } = await gh.gatehouse.twoFactor.beginTotp(user));
    await gh.gatehouse.twoFactor.confirmTotp(user, await generate({ secret }));
    await gh.gatehouse.twoFactor.beginEmail(user);
    const code = (await smtp.waitFor('twofa@example.com')).text.match(/\b(\d{6})\b/)?.[1] ?? '';
    await gh.gatehouse.twoFactor.confirmEmail(user, code);
  });
  afterAll(async () => {
    await gh?.stop();
    await smtp?.close();
    await db?.drop();
  });

  it('answers 402 with the providers, then signs in with a TOTP code', async () => {
    const api = new ApiClient(new Browser(), gh.issuer);
    const login = await api.post('/api/auth/login', { username: 'twofa@example.com', password: PASSWORD });
    expect(login.status).toBe(402);
    expect(login.json).toMatchObject({
      error: 'two_factor_required',
      providers: ['totp', 'email', 'recovery'],
    });
    expect((await api.get('/api/auth/is-authenticated')).json).toEqual({ isAuthenticated: false });
    expect((await api.get('/api/auth/two-factor/providers')).json).toEqual({
      providers: ['totp', 'email', 'recovery'],
    });

    const wrong = await api.post('/api/auth/two-factor/verify', { provider: 'totp', code: '000000' });
    expect(wrong.status).toBe(400);
    const code = await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
    const ok = await api.post('/api/auth/two-factor/verify', { provider: 'totp', code });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ email: 'twofa@example.com' });
    expect((await api.get('/api/auth/is-authenticated')).json).toEqual({ isAuthenticated: true });
  });

  it('sends an email code and accepts it', async () => {
    const api = new ApiClient(new Browser(), gh.issuer);
    expect(
      (await api.post('/api/auth/login', { username: 'twofa@example.com', password: PASSWORD })).status,
    ).toBe(402);
    expect((await api.post('/api/auth/two-factor/send', { provider: 'email' })).json).toEqual({ sent: true });
    const code = (await smtp.waitFor('twofa@example.com')).text.match(/\b(\d{6})\b/)?.[1] ?? '';
    expect((await api.post('/api/auth/two-factor/verify', { provider: 'email', code })).status).toBe(200);
  });

  it('refuses the two-factor calls without a correct password first', async () => {
    const api = new ApiClient(new Browser(), gh.issuer);
    expect((await api.get('/api/auth/two-factor/providers')).status).toBe(401);
    expect((await api.post('/api/auth/two-factor/verify', { provider: 'totp', code: '123456' })).status).toBe(
      401,
    );
  });
});
