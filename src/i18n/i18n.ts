import { readFileSync } from 'node:fs';
import { createIntl, createIntlCache, type IntlShape } from '@formatjs/intl';

/** The languages Gatehouse ships; English is the reference every other catalogue must match. */
export const LOCALES = ['en', 'de', 'fr', 'nl', 'es'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

export type MessageValue = string | number | boolean | Date | null | undefined;
/** Values for placeholders; a function formats a rich-text tag (`<b>…</b>`) from its contents. */
export type MessageValues = Record<string, MessageValue | ((chunks: string[]) => string)>;
/** Formats the ICU message under `key` in one language. */
export type Translate = (key: string, values?: MessageValues) => string;

export type Catalogue = Record<string, string>;

/** `locales/<locale>.json`: flat keys to ICU messages, read once at start. */
export function loadCatalogue(locale: Locale): Catalogue {
  const file = new URL(`../../locales/${locale}.json`, import.meta.url);
  return JSON.parse(readFileSync(file, 'utf8')) as Catalogue;
}

const catalogues = new Map<Locale, Catalogue>(LOCALES.map((l) => [l, loadCatalogue(l)]));
const cache = createIntlCache();

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/**
 * A translator for one language. `defaults` fill placeholders every message may use (the product
 * name). A key missing from a language falls back to English (the catalogue test keeps that from
 * happening in a release); a key missing from English shows the key, so it is noticed.
 */
export function createTranslator(locale: Locale, defaults: MessageValues = {}): Translate {
  const english = catalogues.get(DEFAULT_LOCALE) ?? {};
  const messages = { ...english, ...(catalogues.get(locale) ?? {}) };
  const intl: IntlShape<string> = createIntl(
    {
      locale,
      defaultLocale: DEFAULT_LOCALE,
      messages,
      // Missing keys are caught by the catalogue test; at run time the fallback is enough.
      onError: () => undefined,
    },
    cache,
  );
  return (key, values) => {
    if (!(key in messages)) return key;
    return String(intl.formatMessage({ id: key }, { ...defaults, ...values }));
  };
}
