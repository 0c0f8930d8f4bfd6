import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.ts';
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

const WRITES = 60;
const AT_ONCE = 4;

/**
 * `kill -9` of `serve` in the middle of a burst of writes. The postmaster outlives it (it was never
 * Gatehouse's child); the next `serve` joins that same postmaster instead of starting a second one,
 * and every write that was answered 201 before the kill is there.
 */
describe('kill -9 of serve during writes, on the embedded database', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-crash-'));
  const started: ServedGatehouse[] = [];

  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop('SIGKILL')));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged write, and the next start reuses the orphaned cluster', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const first = await serve({ dataDir, port });
    started.push(first);
    expect((await runCli(robotClientArgs(), { env: { DATA_DIR: dataDir } })).code).toBe(0);
    const token = await robotToken(base);
    const [postmaster] = postmastersOf(dataDir);

    const acknowledged: string[] = [];
    let next = 0;
    const writer = async () => {
      for (let i = next++; i < WRITES; i = next++) {
        const email = `burst-${i}@example.com`;
        const status = await createUserAt(base, token, email).catch(() => 0);
        if (status === 201) acknowledged.push(email);
        if (acknowledged.length === 15) first.child.kill('SIGKILL');
      }
    };
    await Promise.all(Array.from({ length: AT_ONCE }, writer));
    expect(await first.exited).toBeNull();
    expect(acknowledged.length).toBeGreaterThanOrEqual(15);
    expect(acknowledged.length).toBeLessThan(WRITES);
    // Gatehouse is gone; its cluster is not.
    expect(postmastersOf(dataDir)).toEqual([postmaster]);

    const second = await serve({ dataDir, port });
    started.push(second);
    expect(postmastersOf(dataDir)).toEqual([postmaster]);
    const listed = await runCli(['user', 'list', '--json'], { env: { DATA_DIR: dataDir } });
    const emails = (JSON.parse(listed.stdout) as Array<{ email: string }>).map((u) => u.email);
    expect(emails).toEqual(expect.arrayContaining(acknowledged));

    expect(await second.stop('SIGTERM')).toBe(0);
    expect(await untilGone(postmaster ? [postmaster] : [])).toEqual([]);
  }, 240_000);
});
