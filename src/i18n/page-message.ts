import { type AppError, ERROR_CATALOG } from '../errors/app-error.ts';
import type { Translate } from './i18n.ts';
import { translated } from './wording.ts';

/**
 * An error's message on a page, in the page's language: its reasons (a form's fields, a password's
 * rules), the catalogue's wording of its own key, or of its code; a message written for one case
 * without a key is shown as written (in English).
 */
export function pageMessage(t: Translate, error: AppError): string {
  if (error.reasons?.length) return error.reasons.map((r) => translated(t, r)).join(' ');
  if (error.messageKey) return translated(t, error);
  return error.message === ERROR_CATALOG[error.code].message ? t(`error.code.${error.code}`) : error.message;
}
