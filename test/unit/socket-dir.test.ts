import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareSocketDir, socketDirCandidates } from '../../src/db/embedded/socket-dir.ts';

/** Where the embedded cluster may put its Unix-domain socket (src/db/embedded/socket-dir.ts). */
describe('the embedded cluster socket directory', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'gh-sockdir-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('prefers DATA_DIR/postgres/run, then a directory under the temporary one, within 107 bytes', () => {
    const home = '/srv/gatehouse/postgres';
    const [first, second] = socketDirCandidates(home, `${home}/data`);
    expect(first).toBe('/srv/gatehouse/postgres/run');
    expect(second).toMatch(/\/gatehouse-pg-[0-9a-f]{16}$/);
    // The same cluster finds the same directory every time; another cluster another one.
    expect(socketDirCandidates(home, `${home}/data`)).toEqual([first, second]);
    expect(socketDirCandidates('/other/postgres', '/other/postgres/data')[1]).not.toBe(second);

    const deep = `/${'d'.repeat(100)}/postgres`;
    expect(socketDirCandidates(deep, `${deep}/data`)).toEqual([expect.stringMatching(/\/gatehouse-pg-/)]);
    // Nowhere short enough: none, and the cluster is reached over TCP only.
    const tmp = process.env.TMPDIR;
    process.env.TMPDIR = deep;
    try {
      expect(socketDirCandidates(deep, `${deep}/data`)).toEqual([]);
    } finally {
      if (tmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmp;
    }
    const spaced = '/srv/my gatehouse/postgres';
    expect(socketDirCandidates(spaced, `${spaced}/data`)).not.toContain(`${spaced}/run`);
  });

  it('makes the directory private, and refuses one somebody else could enter', () => {
    const fresh = join(scratch, 'fresh');
    expect(prepareSocketDir([fresh], undefined)).toBe(fresh);
    expect(statSync(fresh).mode & 0o777).toBe(0o700);

    const open = join(scratch, 'open');
    mkdirSync(open);
    chmodSync(open, 0o755);
    expect(prepareSocketDir([open], undefined)).toBeUndefined();
    // Falls through to the next candidate; with none left, the cluster is on TCP only.
    expect(prepareSocketDir([open, fresh], undefined)).toBe(fresh);
    expect(prepareSocketDir([join(scratch, 'missing', 'parent')], undefined)).toBeUndefined();
  });

  it('removes the socket of a postmaster that is gone, and leaves a live one', () => {
    const dir = join(scratch, 'stale');
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(join(dir, '.s.PGSQL.5999'), '');
    writeFileSync(join(dir, '.s.PGSQL.5999.lock'), '2147483646\n/some/pgdata\n');
    writeFileSync(join(dir, '.s.PGSQL.6001'), '');
    writeFileSync(join(dir, '.s.PGSQL.6001.lock'), `${process.pid}\n/some/pgdata\n`);
    expect(prepareSocketDir([dir], undefined)).toBe(dir);
    expect(existsSync(join(dir, '.s.PGSQL.5999'))).toBe(false);
    expect(existsSync(join(dir, '.s.PGSQL.5999.lock'))).toBe(false);
    expect(existsSync(join(dir, '.s.PGSQL.6001'))).toBe(true);
  });
});
