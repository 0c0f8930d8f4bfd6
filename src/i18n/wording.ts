import { createTranslator, DEFAULT_LOCALE, type Translate } from './i18n.ts';

/** Values for a message's ICU placeholders (names, addresses, domains, counts). */
export type WordingValues = Record<string, string | number>;

/**
 * A sentence written for one case, for people: `message` is its English text (APIs, logs and the
 * CLI stay English); `messageKey`, when it has one, is its catalogue entry, which pages show in
 * the reader's language with `messageValues`. Without a key (a handler's own reason) it is shown
 * as written.
 */
export interface Wording {
  message: string;
  messageKey?: string | undefined;
  messageValues?: WordingValues | undefined;
}

const english = createTranslator(DEFAULT_LOCALE);

/**
 * The catalogue entry `key` with `values`, its English text read from `locales/en.json`, so that
 * the English the APIs return and the pages' translations cannot drift apart.
 */
export function wording(
  key: string,
  values?: WordingValues,
): Required<Pick<Wording, 'message' | 'messageKey'>> & Wording {
  return { message: english(key, values), messageKey: key, messageValues: values };
}

/** `w` in the language of `t`: its catalogue entry, or its own text when it has none. */
export function translated(t: Translate, w: Wording): string {
  return w.messageKey ? t(w.messageKey, w.messageValues) : w.message;
}
