import { z } from 'zod';

/** Field rules shared by the admin API's bodies. */
export const emailField = z
  .string('Enter an email address.')
  .trim()
  .max(320, 'The email address is too long.')
  .pipe(z.email('Enter a valid email address.'));

export const nameField = z
  .string('The name must be text.')
  .trim()
  .max(200, 'The name is too long (200 at most).');

export const groupsField = z
  .array(
    z
      .string('A group must be text.')
      .trim()
      .min(1, 'A group name is empty.')
      .max(64, 'A group name is too long.'),
    'Groups must be a list of names.',
  )
  .max(50, 'At most 50 groups.');

/** Long enough for any password the policy accepts; the policy itself says what is wrong. */
export const passwordField = z
  .string('Enter a password.')
  .min(1, 'Enter a password.')
  .max(1024, 'The password is too long.');
