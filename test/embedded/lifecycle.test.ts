import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/gatehouse.ts';
import { postmasterPid, processTree, type ServedGatehouse, serve, untilGone } from '../support/served.ts';

/**
 * `npm start` stops as a whole: npm, the server and the embedded cluster, whichever of npm or Node
 * the signal reaches. Each case records every process it started (npm, Node, the postmaster and
 * its children) and then requires all of them gone.
 */
describe('npm start on the embedded database', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-npm-start-'));
  const started: ServedGatehouse[] = [];

  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop('SIGKILL')));
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<{ npm: number; node: number; all: number[] }> {
    const served = await serve({ dataDir, port: await freePort(), viaNpm: true });
    started.push(served);
    const npm = served.child.pid ?? 0;
    const postmaster = postmasterPid(dataDir);
    if (!postmaster) throw new Error('no postmaster runs under the data directory');
    const tree = processTree(npm);
    const node = tree.find((pid) => pid !== npm) ?? 0;
    return { npm, node, all: [...tree, ...processTree(postmaster)] };
  }

  it.each([
    ['SIGTERM', 'npm'],
    ['SIGINT', 'npm'],
    ['SIGTERM', 'node'],
  ] as const)(
    '%s to %s leaves no process behind',
    async (signal, target) => {
      const { npm, node, all } = await start();
      expect(node).toBeGreaterThan(0);
      // npm, Node, and the postmaster with its own children.
      expect(all.length).toBeGreaterThanOrEqual(4);
      process.kill(target === 'npm' ? npm : node, signal);
      expect(await untilGone(all, 60_000)).toEqual([]);
      expect(postmasterPid(dataDir)).toBeUndefined();
    },
    180_000,
  );
});
