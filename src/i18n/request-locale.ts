import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context, Middleware } from 'koa';
import { DEFAULT_LOCALE, isLocale, LOCALES, type Locale } from './i18n.ts';

interface LocaleStore {
  locale: Locale;
  /** Chosen by `ui_locales` (not guessed from the browser): remembered for the next pages. */
  chosen: boolean;
}

/** Keeps an application's `ui_locales` for the pages that follow (reset password, account). */
const COOKIE = 'gatehouse.locale';

// The language of the request being served, so that every page and email rendered on its behalf
// (deep inside services that know nothing of HTTP) speaks it without passing it down by hand.
const storage = new AsyncLocalStorage<LocaleStore>();

/** The language of the current request; English outside of one. */
export function currentLocale(): Locale {
  return storage.getStore()?.locale ?? DEFAULT_LOCALE;
}

/** The current request's language; undefined outside of one (a command, a background job). */
export function requestedLocale(): Locale | undefined {
  return storage.getStore()?.locale;
}

/**
 * First supported language of an OIDC `ui_locales` value (space-separated BCP 47 tags, most
 * preferred first), matching on the primary subtag: `de-CH` is served in German.
 */
export function fromUiLocales(uiLocales: unknown): Locale | undefined {
  if (typeof uiLocales !== 'string') return undefined;
  for (const tag of uiLocales.split(/\s+/)) {
    const primary = tag.split('-')[0]?.toLowerCase();
    if (isLocale(primary)) return primary;
  }
  return undefined;
}

function fromAcceptLanguage(ctx: Context): Locale | undefined {
  if (!ctx.get('accept-language')) return undefined;
  const chosen = ctx.acceptsLanguages([...LOCALES]);
  return isLocale(chosen) ? chosen : undefined;
}

/**
 * Picks the request's language: `ui_locales` in the query (as the OIDC request or a link carries
 * it), then the one an earlier `ui_locales` chose in this browser, then `Accept-Language`, then
 * English. An interaction page refines it from the authorization request it belongs to
 * (`useUiLocales`).
 */
export function requestLocale(): Middleware {
  return async (ctx, next) => {
    const asked = fromUiLocales(ctx.query.ui_locales);
    const remembered = fromUiLocales(ctx.cookies.get(COOKIE));
    const store: LocaleStore = {
      locale: asked ?? remembered ?? fromAcceptLanguage(ctx) ?? DEFAULT_LOCALE,
      chosen: asked !== undefined,
    };
    await storage.run(store, next);
    if (store.chosen && store.locale !== remembered && !ctx.headerSent) {
      ctx.cookies.set(COOKIE, store.locale, {
        httpOnly: true,
        sameSite: 'lax',
        signed: false,
        maxAge: 31_536_000_000,
      });
    }
  };
}

/** Switches the current request to the first supported language of `uiLocales`, if any. */
export function useUiLocales(uiLocales: unknown): void {
  const store = storage.getStore();
  const locale = fromUiLocales(uiLocales);
  if (store && locale) Object.assign(store, { locale, chosen: true });
}

/** Runs `fn` with `locale` as the current language (an email in its recipient's language). */
export function withLocale<T>(locale: Locale, fn: () => T): T {
  return storage.run({ locale, chosen: false }, fn);
}
