import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIGURATION_DOC, renderConfigurationDoc } from '../../scripts/configuration-doc.ts';
import { settingsSchema } from '../../src/config/settings-schema.ts';

describe('docs/configuration.md', () => {
  it('is what the settings schema generates (run `npm run docs:config` after changing a setting)', () => {
    expect(readFileSync(CONFIGURATION_DOC, 'utf8')).toBe(renderConfigurationDoc());
  });

  it('describes every setting', () => {
    const undescribed = Object.entries(settingsSchema.shape)
      .filter(([, schema]) => !schema.description)
      .map(([name]) => name);
    expect(undescribed).toEqual([]);
  });

  it('is linked from the README', () => {
    expect(readFileSync(new URL('../../README.md', import.meta.url), 'utf8')).toContain(
      'docs/configuration.md',
    );
  });
});
