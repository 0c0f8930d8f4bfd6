import { describe, expect, it } from 'vitest';
import type { PasswordSettings } from '../../src/config/settings.ts';
import {
  isCommonPassword,
  MAX_PASSWORD_LENGTH,
  passwordConfig,
  passwordRuleViolations,
} from '../../src/users/password-policy.ts';

/** Umbraco's defaults: ten characters, no composition rules. */
const DEFAULTS: PasswordSettings = {
  requiredLength: 10,
  requireNonLetterOrDigit: false,
  requireDigit: false,
  requireLowercase: false,
  requireUppercase: false,
};

const check = (password: string, rules: Partial<PasswordSettings> = {}) =>
  passwordRuleViolations(password, { ...DEFAULTS, ...rules });

describe('password policy', () => {
  it('accepts an uncommon passphrase of 10 to 256 characters under the defaults', () => {
    expect(check('kettle drum')).toEqual([]);
    expect(check('zq8!vk#2mw')).toEqual([]);
    expect(check('ab'.repeat(128))).toEqual([]);
    expect(MAX_PASSWORD_LENGTH).toBe(256);
  });

  it('refuses one that is too short, naming the length', () => {
    expect(check('zq8!vk#2m')).toEqual(['The password must be at least 10 characters long.']);
    expect(check('zq8!vk#2m', { requiredLength: 12 })[0]).toContain('at least 12 characters');
  });

  it('counts characters as code points of the NFC form, not UTF-16 units (issue 10)', () => {
    // Five emoji are ten UTF-16 units but five characters: too short.
    expect(check('😀😀😀😀😀')[0]).toContain('at least 10 characters');
    // 256 emoji are 512 units but 256 characters: allowed.
    expect(check('😀🌵'.repeat(128))).toEqual([]);
    // "é" as e + combining accent is one character after NFC: ten of them make ten.
    expect(check('e\u0301'.repeat(5) + 'zqvkw')).toEqual([]);
    expect(check('e\u0301'.repeat(4) + 'zqvkw')[0]).toContain('at least 10 characters');
  });

  it('refuses one that is too long', () => {
    expect(check('x'.repeat(257))).toEqual(['The password must be at most 256 characters long.']);
  });

  it('refuses common passwords from the maintained list, whatever their case', () => {
    for (const common of ['password1234', 'PASSWORD1234', 'qwertyuiop', '1234567890']) {
      expect(isCommonPassword(common), common).toBe(true);
      expect(check(common), common).toEqual([expect.stringContaining('too common')]);
    }
    expect(isCommonPassword('kettle drum')).toBe(false);
  });

  it.each([
    ['requireDigit', 'no digits here', 'nodigits 4 here', 'digit'],
    ['requireLowercase', 'ALL UPPER CASE', 'ALL UPPER CASe', 'lowercase'],
    ['requireUppercase', 'all lower case', 'all lower Case', 'uppercase'],
    ['requireNonLetterOrDigit', 'lettersand1234', 'letters and 1234', 'neither a letter nor a digit'],
  ] as const)('%s refuses %j and accepts %j', (rule, refused, accepted, named) => {
    expect(check(refused, { [rule]: true })).toEqual([expect.stringContaining(named)]);
    expect(check(accepted, { [rule]: true })).toEqual([]);
    // Off by default.
    expect(check(refused)).toEqual([]);
  });

  it('counts letters and digits of every script', () => {
    expect(check('ÉCOLE ÉTÉ ÀÖ', { requireLowercase: true })).toEqual([
      'The password must contain a lowercase letter.',
    ]);
    expect(check('mot de passé', { requireUppercase: true })[0]).toContain('uppercase');
    expect(check('١٢٣٤٥٦٧٨٩٠abc', { requireDigit: true, requireNonLetterOrDigit: true })).toEqual([
      'The password must contain a character that is neither a letter nor a digit.',
    ]);
  });

  it('lists every rule a password breaks', () => {
    expect(
      check('abc', {
        requireDigit: true,
        requireUppercase: true,
        requireNonLetterOrDigit: true,
      }),
    ).toHaveLength(4);
  });

  it('describes the rules for password-config', () => {
    expect(passwordConfig({ ...DEFAULTS, requireDigit: true, requireNonLetterOrDigit: true })).toEqual({
      minPasswordLength: 10,
      maxPasswordLength: 256,
      minNonAlphaNumericChars: 1,
      requireDigit: true,
      requireLowercase: false,
      requireUppercase: false,
      refuseCommonPasswords: true,
    });
  });
});
