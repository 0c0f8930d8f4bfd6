import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import type { Brand } from '../branding/branding.ts';
import { pageContentSecurityPolicyValue } from '../http/security-headers.ts';
import { createTranslator, isLocale, type Locale, type MessageValues, type Translate } from '../i18n/i18n.ts';
import { currentLocale } from '../i18n/request-locale.ts';

const viewsDirectory = fileURLToPath(new URL('../../views/', import.meta.url));

export interface Views {
  /**
   * Renders a template in the current request's language, or in `context.locale` when given (an
   * email in its recipient's language). Templates get `t(key, values)`, `locale` and `brand`.
   */
  render(template: string, context?: Record<string, unknown>): string;
  /** A translator for the current request's language, or `locale`. */
  translator(locale?: Locale): Translate;
  /** The content security policy the rendered pages need (the logo may be remote). */
  readonly pagePolicy: string;
}

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * `th(key, values)`: a message that may emphasise words with `<b>…</b>` (rendered `<strong>`).
 * The catalogue is ours and trusted; every value is escaped before it is put in.
 */
function richTranslator(t: Translate) {
  return (key: string, values: MessageValues = {}) => {
    const escaped = Object.fromEntries(
      Object.entries(values).map(([k, v]) => [k, typeof v === 'string' ? escapeHtml(v) : v]),
    );
    const tags = { b: (chunks: string[]) => `<strong>${chunks.join('')}</strong>` };
    return new nunjucks.runtime.SafeString(t(key, { ...escaped, ...tags }));
  };
}

const DEFAULT_BRAND: Brand = {
  productName: 'Gatehouse',
  logoSrc: undefined,
  emailLogoSrc: undefined,
  supportContact: undefined,
  supportHref: undefined,
  accent: '#1f5fbf',
};

/**
 * Server-rendered pages through nunjucks with autoescaping on, so every value a user or client
 * controls is HTML-escaped unless a template says otherwise.
 */
export function createViews(options: { brand?: Brand; logoOrigin?: string; watch?: boolean } = {}): Views {
  const brand = options.brand ?? DEFAULT_BRAND;
  const env = new nunjucks.Environment(
    new nunjucks.FileSystemLoader(viewsDirectory, { noCache: options.watch ?? false }),
    {
      autoescape: true,
      throwOnUndefined: false,
      trimBlocks: true,
      lstripBlocks: true,
    },
  );
  env.addGlobal('productName', brand.productName);
  env.addGlobal('brand', brand);
  const translators = new Map<Locale, Translate>();
  const translator = (locale: Locale = currentLocale()): Translate => {
    let t = translators.get(locale);
    if (!t) {
      t = createTranslator(locale, { product: brand.productName });
      translators.set(locale, t);
    }
    return t;
  };
  return {
    render: (template, context = {}) => {
      const locale = isLocale(context.locale) ? context.locale : currentLocale();
      const t = translator(locale);
      return env.render(template, { ...context, locale, t, th: richTranslator(t) });
    },
    translator,
    pagePolicy: pageContentSecurityPolicyValue(options.logoOrigin),
  };
}
