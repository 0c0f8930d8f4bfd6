import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type MessageFormatElement, parse, TYPE } from '@formatjs/icu-messageformat-parser';
import { describe, expect, it } from 'vitest';
import { createTranslator, DEFAULT_LOCALE, LOCALES, loadCatalogue } from '../../src/i18n/i18n.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const english = loadCatalogue(DEFAULT_LOCALE);

/** The placeholders and tags a message uses; every translation must use the same ones. */
function argumentsOf(elements: MessageFormatElement[], into = new Set<string>()): Set<string> {
  for (const el of elements) {
    if (el.type === TYPE.literal || el.type === TYPE.pound) continue;
    into.add(el.value);
    if (el.type === TYPE.tag) argumentsOf(el.children, into);
    if (el.type === TYPE.plural || el.type === TYPE.select) {
      for (const option of Object.values(el.options)) argumentsOf(option.value, into);
    }
  }
  return into;
}

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith(suffix))
    .map((f) => join(dir, f));
}

/**
 * Literal keys passed to `t("…")`/`th("…")` in templates, and in code to `translator()('…')`,
 * `wording('…')`, `AppError.keyed(code, '…')`, and the `'form.…'` messages of form schemas.
 */
function keysUsed(): Map<string, string> {
  const used = new Map<string, string>();
  const sources = [...filesUnder(join(root, 'views'), '.njk'), ...filesUnder(join(root, 'src'), '.ts')];
  for (const file of sources) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\b(?:t|th|translator\(\w*\))\(\s*["']([\w.-]+)["']\s*[,)]/g)) {
      used.set(m[1] as string, file);
    }
    for (const m of text.matchAll(/\b(?:wording\(|keyed\(\s*'\w+',)\s*'([\w.-]+)'/g))
      used.set(m[1] as string, file);
    // A form schema's messages are `form.…` keys (http/validation.ts turns them into text).
    for (const m of text.matchAll(/'(form\.[\w.-]+)'/g)) used.set(m[1] as string, file);
  }
  return used;
}

describe('message catalogues', () => {
  it.each(LOCALES.filter((l) => l !== DEFAULT_LOCALE))('%s has exactly the English keys', (locale) => {
    const catalogue = loadCatalogue(locale);
    const missing = Object.keys(english).filter((k) => !(k in catalogue));
    const extra = Object.keys(catalogue).filter((k) => !(k in english));
    expect({ missing, extra }).toEqual({ missing: [], extra: [] });
  });

  it.each(LOCALES)('every %s message is valid ICU with the same placeholders as English', (locale) => {
    const catalogue = loadCatalogue(locale);
    const mismatches: string[] = [];
    for (const [key, message] of Object.entries(catalogue)) {
      const theirs = [...argumentsOf(parse(message))].sort();
      const ours = [...argumentsOf(parse(english[key] ?? ''))].sort();
      if (theirs.join() !== ours.join()) mismatches.push(`${key}: ${theirs} vs ${ours}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('has every key the templates and the code ask for', () => {
    const used = keysUsed();
    expect(used.size).toBeGreaterThan(50);
    const missing = [...used].filter(([key]) => !(key in english)).map(([key, file]) => `${key} (${file})`);
    expect(missing).toEqual([]);
  });

  it('formats plurals and the product name in each language', () => {
    const de = createTranslator('de', { product: 'Acme' });
    expect(de('email.password-reset.expiry', { minutes: 1 })).toContain('1 Minute ');
    expect(de('email.two-factor-code.intro')).toBe('Ihr Anmeldecode für Acme lautet:');
    expect(createTranslator('en')('no.such.key')).toBe('no.such.key');
  });
});
