import { isLocale, type Locale } from '../i18n/i18n.ts';
import type { User } from './user.ts';

/** The user's own language for an email to them; undefined (the request's) when none is stored. */
export function recipientLocale(user: Pick<User, 'locale'>): Locale | undefined {
  return isLocale(user.locale) ? user.locale : undefined;
}
