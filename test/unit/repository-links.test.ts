import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const documents = ['README.md', ...readdirSync(join(root, 'docs')).map((f) => `docs/${f}`)];

describe('the documentation stays inside the repository', () => {
  it.each(documents)('%s links only to files that exist here', (doc) => {
    const text = readFileSync(join(root, doc), 'utf8');
    const broken = [...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
      .map((m) => m[1] as string)
      .filter((target) => !/^[a-z]+:/.test(target))
      .filter((target) => !existsSync(join(root, dirname(doc), target)));
    expect(broken).toEqual([]);
  });

  it('mentions no design notes kept outside the repository', () => {
    const files = ['README.md', ...documents, 'bench/README.md'];
    const sources = ['src', 'test', 'docs', 'examples', 'scripts'].flatMap((dir) =>
      readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f)),
    );
    const outside = [...files, ...sources]
      .filter((f) => /\.(md|ts|mjs|njk)$/.test(f))
      .filter((f) => !f.endsWith('repository-links.test.ts'))
      .filter((f) => /\.\.\/shared|DESIGN\.md/.test(readFileSync(join(root, f), 'utf8')));
    expect(outside).toEqual([]);
  });
});
