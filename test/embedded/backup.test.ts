import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CliOptions, cliJson, expectOneLineError, runCli } from '../cli/run-cli.ts';
import { freePort } from '../support/gatehouse.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { postmastersOf, type ServedGatehouse, serve } from '../support/served.ts';

const PASSWORD = ['--password', 'correct horse battery'];

async function emails(options: CliOptions): Promise<string[]> {
  return (await cliJson<Array<{ email: string }>>(['user', 'list'], options)).map((u) => u.email).sort();
}

async function createUser(email: string, options: CliOptions): Promise<void> {
  const created = await runCli(['user', 'create', '--email', email, ...PASSWORD], options);
  expect(created.code, created.stderr).toBe(0);
}

describe('gatehouse db status, backup and restore', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-backup-'));
  const embedded = { env: { DATA_DIR: dataDir } };
  let served: ServedGatehouse | undefined;

  afterAll(async () => {
    await served?.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('backs up the embedded database while the server runs, and restores it once it stopped', async () => {
    expect((await cliJson<{ state: string }>(['db', 'status'], embedded)).state).toBe('not created');
    served = await serve({ dataDir, port: await freePort() });
    await createUser('kept@example.com', embedded);
    const status = await cliJson<{
      state: string;
      processes: number;
      version: string;
      migrations: { pending: number };
    }>(['db', 'status'], embedded);
    expect(status).toMatchObject({ state: 'running', processes: 1, migrations: { pending: 0 } });
    expect(status.version).toMatch(/^PostgreSQL 18/);

    const file = join(dataDir, 'gatehouse.backup.gz');
    const backup = await cliJson<{ tables: Record<string, number> }>(['db', 'backup', file], embedded);
    expect(backup.tables.users).toBe(1);
    await createUser('after-backup@example.com', embedded);

    // A restore under a running server would pull the data from under it.
    const refused = await runCli(['db', 'restore', file], embedded);
    expect(expectOneLineError(refused)).toMatch(
      /1 other Gatehouse process\(es\) use this database; stop them/,
    );
    expect(await served.stop('SIGTERM')).toBe(0);
    expect(postmastersOf(dataDir)).toEqual([]);

    const damaged = join(dataDir, 'damaged.gz');
    writeFileSync(damaged, 'not a backup');
    expect(expectOneLineError(await runCli(['db', 'restore', damaged], embedded))).toMatch(/damaged/);
    expect(await emails(embedded)).toEqual(['after-backup@example.com', 'kept@example.com']);

    const restored = await cliJson<{ tables: Record<string, number> }>(['db', 'restore', file], embedded);
    expect(restored.tables).toEqual(backup.tables);
    expect(await emails(embedded)).toEqual(['kept@example.com']);
    // Sequences continue after the restored rows: the next audited write does not collide.
    await createUser('after-restore@example.com', embedded);
    expect((await cliJson<{ state: string }>(['db', 'status'], embedded)).state).toBe('stopped');
    expect(postmastersOf(dataDir)).toEqual([]);
  }, 300_000);

  it('does the same on PostgreSQL at DATABASE_URL', async () => {
    const database = await createTestDatabase();
    const external = { env: { DATABASE_URL: database.url } };
    try {
      await createUser('one@example.com', external);
      const file = join(dataDir, 'external.backup.gz');
      await cliJson(['db', 'backup', file], external);
      await createUser('two@example.com', external);
      await cliJson(['db', 'restore', file], external);
      expect(await emails(external)).toEqual(['one@example.com']);
      const status = await cliJson<{ kind: string; location: string }>(['db', 'status'], external);
      expect(status.kind).toBe('external');
      // Never the credentials.
      expect(status.location).toBe(`postgres://${new URL(database.url).host}/${database.name}`);
    } finally {
      await database.drop();
    }
  }, 240_000);
});
