import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN } from '../fixtures/admin-http.ts';
import { type Browser, textOf } from '../support/browser.ts';
import { consoleSignIn } from '../support/console.ts';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { startUpstream, type UpstreamOp } from '../support/upstream-op.ts';

/**
 * The console's "Test the connection" tries Gatehouse's client credentials at the upstream's token
 * endpoint: accepted ones are said to be, and an invalid_client is reported — on the page and in
 * the log — as a credentials problem, naming the method.
 */
describe('testing an upstream’s client credentials from the console', () => {
  let db: TestDatabase;
  let gh: TestGatehouse;
  let upstream: UpstreamOp;
  let browser: Browser;
  const log: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    gh = await startGatehouse({
      databaseUrl: db.url,
      env: { LOG_LEVEL: 'warn' },
      logStream: new Writable({
        write(chunk, _encoding, done) {
          log.push(String(chunk));
          done();
        },
      }),
    });
    upstream = await startUpstream({ gatehouseIssuer: gh.issuer, alias: 'corp', users: [] });
    for (const [alias, secret] of [
      ['corp', upstream.clientSecret],
      ['typo', `${upstream.clientSecret}-typo`],
    ] as const) {
      await gh.gatehouse.external.registry.create({
        alias,
        issuer: upstream.issuer,
        clientId: upstream.clientId,
        clientSecret: secret,
      });
    }
    await gh.gatehouse.userManager.createUser({ ...ADMIN, groups: ['admin'] });
    ({ browser } = await consoleSignIn(gh, ADMIN, '/admin/providers/corp'));
  });
  afterAll(async () => {
    await gh?.stop();
    await upstream?.close();
    await db?.drop();
  });

  const test = async (alias: string) => {
    const page = await browser.visit(`${gh.issuer}/admin/providers/${alias}`);
    return browser.submit(page, `form[action="/admin/providers/${alias}/test"]`);
  };

  it('says the right credentials are accepted', async () => {
    const page = await test('corp');
    expect(textOf(page)).toMatch(/The client credentials are accepted \(client_secret_(basic|post)\)/);
    expect(page.body).not.toContain('Credentials problem');
  });

  it('reports a wrong secret as a credentials problem, on the page and in the log', async () => {
    const page = await test('typo');
    expect(textOf(page)).toMatch(
      /Credentials problem: typo refused Gatehouse's client credentials \(invalid_client\) with client_secret_(basic|post)\./,
    );
    expect(
      log.some((line) => line.includes('upstream typo refused Gatehouse') && line.includes('invalid_client')),
    ).toBe(true);
  });
});
