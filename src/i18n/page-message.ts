import { type AppError, ERROR_CATALOG } from '../errors/app-error.ts';
import type { Translate } from './i18n.ts';

/**
 * An error's message on a page, in the page's language: the catalogue's wording of its code, or of
 * its own key; a message written for one case without a key is shown as written (in English).
 */
export function pageMessage(t: Translate, error: AppError): string {
  if (error.messageKey) return t(error.messageKey, error.messageValues);
  return error.message === ERROR_CATALOG[error.code].message ? t(`error.code.${error.code}`) : error.message;
}
