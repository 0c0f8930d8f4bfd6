import { dictionary } from '@zxcvbn-ts/language-common';
import type { PasswordSettings } from '../config/settings.ts';
import { AppError } from '../errors/app-error.ts';
import { type Wording, wording } from '../i18n/wording.ts';

export const MAX_PASSWORD_LENGTH = 256;

/** ~49,000 passwords from breach corpora, maintained by zxcvbn-ts; compared case-insensitively. */
const COMMON_PASSWORDS: ReadonlySet<string> = new Set(
  (dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()),
);

export function isCommonPassword(password: string): boolean {
  return COMMON_PASSWORDS.has(password.toLowerCase());
}

/**
 * Umbraco's password rules (length, optional composition) plus NIST 800-63B's: an upper bound
 * that still admits passphrases, and no password that is known to be common.
 */
export function passwordRuleViolations(password: string, rules: PasswordSettings): string[] {
  return passwordRuleReasons(password, rules).map((w) => w.message);
}

/** The same reasons with their catalogue keys, for the pages that show them. */
export function passwordRuleReasons(password: string, rules: PasswordSettings): Wording[] {
  const errors: Wording[] = [];
  // Characters as people count them: code points of the NFC form, not UTF-16 units ("😀" is one).
  const length = [...password.normalize('NFC')].length;
  if (length < rules.requiredLength)
    errors.push(wording('password.rule.tooShort', { min: rules.requiredLength }));
  if (length > MAX_PASSWORD_LENGTH)
    errors.push(wording('password.rule.tooLong', { max: MAX_PASSWORD_LENGTH }));
  if (rules.requireNonLetterOrDigit && !/[^\p{L}\p{N}]/u.test(password)) {
    errors.push(wording('password.rule.needsSymbol'));
  }
  if (rules.requireDigit && !/\p{N}/u.test(password)) errors.push(wording('password.rule.needsDigit'));
  if (rules.requireLowercase && !/\p{Ll}/u.test(password)) errors.push(wording('password.rule.needsLower'));
  if (rules.requireUppercase && !/\p{Lu}/u.test(password)) errors.push(wording('password.rule.needsUpper'));
  if (isCommonPassword(password)) errors.push(wording('password.rule.common'));
  return errors;
}

/** What `password-config` answers: the rules, so pages can explain them before submitting. */
export function passwordConfig(rules: PasswordSettings) {
  return {
    minPasswordLength: rules.requiredLength,
    maxPasswordLength: MAX_PASSWORD_LENGTH,
    minNonAlphaNumericChars: rules.requireNonLetterOrDigit ? 1 : 0,
    requireDigit: rules.requireDigit,
    requireLowercase: rules.requireLowercase,
    requireUppercase: rules.requireUppercase,
    refuseCommonPasswords: true,
  };
}

/**
 * The refusal of a password: its reasons in English (`details.errors`, for the APIs) and, when the
 * user manager gave them, with their catalogue keys for the pages. A replaced UserManager that
 * gives only `errors` has them shown as written.
 */
export function passwordRejected(result: { errors: string[]; reasons?: Wording[] | undefined }): AppError {
  const error = new AppError('password_rejected', result.errors.join(' '), { errors: result.errors });
  error.reasons = result.reasons;
  return error;
}
