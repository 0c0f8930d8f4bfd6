import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The rows of SECURITY.md's promise tables: the promise, and the test files its last cell names. */
function promises(): Array<{ promise: string; tests: string[] }> {
  const rows = readFileSync(join(root, 'SECURITY.md'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| promise') && !line.startsWith('| ---'));
  return rows.map((row) => {
    const cells = row.split(/(?<!\\)\|/).map((c) => c.trim());
    const last = cells.at(-2) ?? '';
    return {
      promise: cells[1] ?? row,
      tests: [...last.matchAll(/`(test\/[^`]+)`/g)].map((m) => m[1] as string),
    };
  });
}

/** Issue 10: "every SECURITY.md promise names its test, and the test exists". */
describe('SECURITY.md', () => {
  it('has promises', () => {
    expect(promises().length).toBeGreaterThan(30);
  });

  it.each(promises().map((p) => [p.promise.slice(0, 80), p.tests]))(
    'names an existing test for: %s',
    (_promise, tests) => {
      expect(tests.length).toBeGreaterThan(0);
      for (const test of tests) expect(existsSync(join(root, test)), test).toBe(true);
    },
  );
});
