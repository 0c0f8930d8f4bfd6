import { z } from 'zod';
import { AppError } from '../errors/app-error.ts';
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

const PASSWORDS_DIFFER = 'The two passwords do not match. Type the same password in both fields.';

/** The rules as sentences, from the same settings `password-config` answers. */
export function describePasswordRules(userManager: Pick<UserManager, 'passwordSettings'>): string[] {
  const config = passwordConfig(userManager.passwordSettings);
  const rules = [`At least ${config.minPasswordLength} characters, at most ${config.maxPasswordLength}.`];
  if (config.minNonAlphaNumericChars > 0)
    rules.push('At least one character that is neither a letter nor a digit.');
  if (config.requireDigit) rules.push('At least one digit.');
  if (config.requireLowercase) rules.push('At least one lowercase letter.');
  if (config.requireUppercase) rules.push('At least one uppercase letter.');
  if (config.refuseCommonPasswords) rules.push('Not a commonly used password.');
  return rules;
}

export type FormOutcome<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/**
 * Submits a new-password form: checks that both fields agree, then runs the service call. What the
 * person can fix (the password policy, a wrong current password) comes back as the reasons to show
 * on the form; anything else is not the form's business and is thrown on.
 */
export async function submitNewPassword<T>(
  input: { password: string; confirmPassword: string },
  work: () => Promise<T>,
): Promise<FormOutcome<T>> {
  if (input.password !== input.confirmPassword) return { ok: false, problems: [PASSWORDS_DIFFER] };
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, problems: formProblems(error) };
  }
}

function formProblems(error: unknown): string[] {
  if (!(error instanceof AppError)) throw error;
  if (error.code === 'password_rejected') {
    const errors = error.details?.errors;
    return Array.isArray(errors) && errors.length ? errors.map(String) : [error.message];
  }
  if (error.code === 'invalid_input' && error.details?.fields) return [error.message];
  throw error;
}
