import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.ts';
import { Browser } from '../support/browser.ts';
import { freePort } from '../support/gatehouse.ts';
import {
  createUserAt,
  postmastersOf,
  robotClientArgs,
  robotToken,
  type ServedGatehouse,
  serve,
  untilGone,
} from '../support/served.ts';

const ADMIN_PASSWORD = 'first admin passphrase';

/** Opens the setup form in its own browser; answers a function that submits it. */
async function openSetupForm(link: string, email: string): Promise<() => Promise<number>> {
  const browser = new Browser();
  const page = await browser.visit(link);
  expect(page.status).toBe(200);
  return async () =>
    (await browser.submit(page, 'form', { email, name: 'Admin', password: ADMIN_PASSWORD })).status;
}

/** After every node stopped: what a command finds in the database (it starts and stops the cluster). */
async function usersOnDisk(dataDir: string): Promise<Array<{ email: string; groups: string[] }>> {
  const listed = await runCli(['user', 'list', '--json'], { env: { DATA_DIR: dataDir } });
  expect(listed.code, listed.stderr).toBe(0);
  return JSON.parse(listed.stdout) as Array<{ email: string; groups: string[] }>;
}

/**
 * Several Gatehouse processes on one DATA_DIR share one cluster, as nodes share an external
 * PostgreSQL: what each one writes is there afterwards, and the first-run link — used through
 * every node at the same moment — creates exactly one administrator.
 */
describe('one DATA_DIR, several Gatehouse processes', () => {
  const dirs: string[] = [];
  const started: ServedGatehouse[] = [];

  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop('SIGKILL')));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  function dataDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-shared-'));
    dirs.push(dir);
    return dir;
  }

  it('two serve processes: both nodes write, one cluster, one admin', async () => {
    const dir = dataDir();
    const [portA, portB] = [await freePort(), await freePort()];
    const issuer = `http://127.0.0.1:${portA}`;
    const a = await serve({ dataDir: dir, port: portA, issuer, expectSetupLink: true });
    started.push(a);
    // Each start without an administrator replaces the link; the second node's is the live one.
    const b = await serve({ dataDir: dir, port: portB, issuer, expectSetupLink: true });
    started.push(b);
    const [postmaster] = postmastersOf(dir);
    expect(postmastersOf(dir)).toHaveLength(1);
    expect((await runCli(robotClientArgs(), { env: { DATA_DIR: dir } })).code).toBe(0);

    const token = await robotToken(`http://127.0.0.1:${portA}`);
    const nodes = [portA, portB].map((p) => `http://127.0.0.1:${p}`);
    const writes = Array.from({ length: 10 }, (_, i) => ({
      node: nodes[i % 2] ?? '',
      email: `node-${i}@example.com`,
    }));
    const statuses = await Promise.all(writes.map((w) => createUserAt(w.node, token, w.email)));
    expect(statuses).toEqual(writes.map(() => 201));

    const link = b.setupLink ?? '';
    const forms = await Promise.all([
      openSetupForm(link.replace(issuer, nodes[0] ?? ''), 'admin-a@example.com'),
      openSetupForm(link.replace(issuer, nodes[1] ?? ''), 'admin-b@example.com'),
    ]);
    const outcomes = await Promise.all(forms.map((submit) => submit()));
    expect(outcomes.filter((s) => s === 200)).toHaveLength(1);

    expect(await a.stop('SIGTERM')).toBe(0);
    // Node B still uses the cluster: A leaving did not stop it.
    expect(postmastersOf(dir)).toEqual([postmaster]);
    expect(await createUserAt(nodes[1] ?? '', token, 'after-a@example.com')).toBe(201);
    expect(await b.stop('SIGTERM')).toBe(0);
    expect(await untilGone(postmaster ? [postmaster] : [])).toEqual([]);

    const users = await usersOnDisk(dir);
    const emails = users.map((u) => u.email);
    expect(emails).toEqual(expect.arrayContaining([...writes.map((w) => w.email), 'after-a@example.com']));
    expect(users.filter((u) => u.groups.includes('admin'))).toHaveLength(1);
  }, 300_000);

  it('serve --workers 2: writes through the shared port all land, one admin', async () => {
    const dir = dataDir();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const served = await serve({ dataDir: dir, port, workers: 2, expectSetupLink: true });
    started.push(served);
    expect(postmastersOf(dir)).toHaveLength(1);
    const [postmaster] = postmastersOf(dir);
    expect((await runCli(robotClientArgs(), { env: { DATA_DIR: dir } })).code).toBe(0);
    const token = await robotToken(base);
    const emails = Array.from({ length: 10 }, (_, i) => `worker-${i}@example.com`);
    // At once, so that the requests arrive on several connections, which the workers share out.
    expect(await Promise.all(emails.map((e) => createUserAt(base, token, e)))).toEqual(emails.map(() => 201));

    const link = served.setupLink ?? '';
    const forms = await Promise.all([1, 2, 3, 4].map((n) => openSetupForm(link, `admin-${n}@example.com`)));
    const outcomes = await Promise.all(forms.map((submit) => submit()));
    expect(outcomes.filter((s) => s === 200)).toHaveLength(1);

    expect(await served.stop('SIGTERM')).toBe(0);
    expect(await untilGone(postmaster ? [postmaster] : [])).toEqual([]);
    const users = await usersOnDisk(dir);
    expect(users.map((u) => u.email)).toEqual(expect.arrayContaining(emails));
    expect(users.filter((u) => u.groups.includes('admin'))).toHaveLength(1);
  }, 300_000);
});
