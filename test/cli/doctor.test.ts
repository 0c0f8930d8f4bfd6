import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { type CliOptions, runCli, runMany } from './run-cli.ts';

interface Report {
  ok: boolean;
  checks: Array<{ check: string; status: string; message: string }>;
}

const statusOf = (report: Report) => Object.fromEntries(report.checks.map((c) => [c.check, c.status]));

/** `gatehouse doctor` (issue 14): each dependency checked, what is wrong printed, exit 1 when anything is. */
describe('gatehouse doctor', () => {
  let db: TestDatabase;
  let on: CliOptions;

  beforeAll(async () => {
    db = await createTestDatabase();
    on = { env: { DATABASE_URL: db.url, ALLOW_PRIVATE_NETWORK_FETCH: 'true' } };
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('finds wrong settings, an unmigrated database, missing keys, dead SMTP and an unreachable provider', async () => {
    const [unmigrated, plain] = await runMany([['doctor', '--json'], ['doctor']], on);
    expect(unmigrated?.code).toBe(1);
    const first = JSON.parse(unmigrated?.stdout ?? '') as Report;
    expect(first.ok).toBe(false);
    expect(statusOf(first)).toMatchObject({
      settings: 'ok',
      database: 'fail',
      'signing keys': 'skipped',
      email: 'ok',
    });
    expect(first.checks.find((c) => c.check === 'database')?.message).toMatch(
      /migration\(s\) pending, it has no tables yet: run `gatehouse migrate`$/,
    );
    expect(JSON.parse(unmigrated?.stderr ?? '')).toEqual({
      error: { code: 'checks_failed', message: expect.stringMatching(/^1 of \d+ checks failed$/) },
    });
    // The same command, read by a person: one line per check.
    expect(plain?.stdout).toMatch(/^ok {4}settings/m);
    expect(plain?.stdout).toMatch(/^FAIL {2}database/m);

    const wrongKey = await runCli(['doctor'], { env: { ...on.env, SECRET_KEY: 'short' } });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stdout).toMatch(/^FAIL {2}settings +SECRET_KEY: must be at least 32 characters$/m);

    expect((await runCli(['migrate'], on)).code).toBe(0);
    // Migrated, but no key yet (a server start or `keys rotate` makes them), and SMTP refuses.
    const noKeys = await runCli(['doctor', '--json'], { env: { ...on.env, SMTP_URL: 'smtp://127.0.0.1:9' } });
    const second = JSON.parse(noKeys.stdout) as Report;
    expect(statusOf(second)).toMatchObject({
      database: 'ok',
      'signing keys': 'fail',
      email: 'fail',
      providers: 'ok',
    });
    expect(second.checks.find((c) => c.check === 'email')?.message).toMatch(
      /^SMTP_URL: smtp:\/\/127\.0\.0\.1:9: .*ECONNREFUSED/,
    );

    // A provider added without the check, whose issuer does not answer; the command makes the keys.
    const added = await runCli(
      'provider create --alias gone --issuer http://127.0.0.1:65531 --client-id c --client-secret s --no-check'.split(
        ' ',
      ),
      on,
    );
    expect(added.code, added.stderr).toBe(0);
    const third = await runCli(['doctor'], on);
    expect(third.code).toBe(1);
    expect(third.stdout).toMatch(
      /^ok {4}signing keys +ES256 \S+, RS256 \S+ active; 0 retired still published$/m,
    );
    expect(third.stdout).toMatch(/^ok {4}email +kept in the outbox table/m);
    expect(third.stdout).toMatch(
      /^FAIL {2}provider gone +http:\/\/127\.0\.0\.1:65531: The discovery document could not be fetched .*ECONNREFUSED/m,
    );
    expect(third.stdout).toMatch(/\n1 problem\(s\) to fix\.\n$/);
    expect(third.stderr).toBe('gatehouse: 1 of 5 checks failed\n');

    expect((await runCli(['provider', 'delete', 'gone'], on)).code).toBe(0);
    const healthy = await runCli(['doctor'], on);
    expect(healthy.code, healthy.stdout).toBe(0);
    expect(healthy.stdout).toMatch(/\nEverything checked is in order\.\n$/);
    expect(healthy.stderr).toBe('');
  }, 480_000);
});
