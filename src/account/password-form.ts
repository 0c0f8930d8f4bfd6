import { z } from 'zod';
import { AppError } from '../errors/app-error.ts';
import type { Translate } from '../i18n/i18n.ts';
import { pageMessage } from '../i18n/page-message.ts';
import { translated } from '../i18n/wording.ts';
import { passwordConfig } from '../users/password-policy.ts';
import type { UserManager } from '../users/user-manager.ts';

/**
 * The "new password" half of the invitation, reset and change forms. Empty or short values are
 * left to the password policy, whose reasons the form shows; only what no person types (a
 * megabyte, a non-string) is refused here.
 */
export const newPasswordFields = {
  password: z.string().max(1024).default(''),
  confirmPassword: z.string().max(1024).default(''),
};

/** The rules as sentences in the page's language, from the same settings `password-config` answers. */
export function describePasswordRules(
  t: Translate,
  userManager: Pick<UserManager, 'passwordSettings'>,
): string[] {
  const config = passwordConfig(userManager.passwordSettings);
  const rules = [
    t('password.rules.length', { min: config.minPasswordLength, max: config.maxPasswordLength }),
  ];
  if (config.minNonAlphaNumericChars > 0) rules.push(t('password.rules.symbol'));
  if (config.requireDigit) rules.push(t('password.rules.digit'));
  if (config.requireLowercase) rules.push(t('password.rules.lower'));
  if (config.requireUppercase) rules.push(t('password.rules.upper'));
  if (config.refuseCommonPasswords) rules.push(t('password.rules.notCommon'));
  return rules;
}

export type FormOutcome<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/**
 * Submits a new-password form: checks that both fields agree, then runs the service call. What the
 * person can fix (the password policy, a wrong current password) comes back as the reasons to show
 * on the form; anything else is not the form's business and is thrown on.
 */
export async function submitNewPassword<T>(
  t: Translate,
  input: { password: string; confirmPassword: string },
  work: () => Promise<T>,
): Promise<FormOutcome<T>> {
  if (input.password !== input.confirmPassword) return { ok: false, problems: [t('password.differ')] };
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, problems: formProblems(t, error) };
  }
}

function formProblems(t: Translate, error: unknown): string[] {
  if (!(error instanceof AppError)) throw error;
  if (error.code === 'password_rejected') {
    if (error.reasons?.length) return error.reasons.map((r) => translated(t, r));
    const errors = error.details?.errors;
    return Array.isArray(errors) && errors.length ? errors.map(String) : [pageMessage(t, error)];
  }
  if (error.code === 'invalid_input' && error.details?.fields) return [pageMessage(t, error)];
  throw error;
}
