import { dictionary } from '@zxcvbn-ts/language-common';
import type { PasswordSettings } from '../config/settings.ts';

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
  const errors: string[] = [];
  // Characters as people count them: code points of the NFC form, not UTF-16 units ("😀" is one).
  const length = [...password.normalize('NFC')].length;
  if (length < rules.requiredLength) {
    errors.push(`The password must be at least ${rules.requiredLength} characters long.`);
  }
  if (length > MAX_PASSWORD_LENGTH) {
    errors.push(`The password must be at most ${MAX_PASSWORD_LENGTH} characters long.`);
  }
  if (rules.requireNonLetterOrDigit && !/[^\p{L}\p{N}]/u.test(password)) {
    errors.push('The password must contain a character that is neither a letter nor a digit.');
  }
  if (rules.requireDigit && !/\p{N}/u.test(password)) errors.push('The password must contain a digit.');
  if (rules.requireLowercase && !/\p{Ll}/u.test(password))
    errors.push('The password must contain a lowercase letter.');
  if (rules.requireUppercase && !/\p{Lu}/u.test(password))
    errors.push('The password must contain an uppercase letter.');
  if (isCommonPassword(password))
    errors.push('This password is too common; choose one that is harder to guess.');
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
