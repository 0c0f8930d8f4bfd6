import { z } from 'zod';
import { providerViewSchema } from '../../external-logins/provider-schema.ts';
import { emailProblem, groupNameProblem, normaliseEmail } from '../../users/user-fields.ts';

/** A zod check from one of the domain's rules, which answer their problem as a sentence. */
function ruled(problemOf: (value: string) => string | undefined) {
  return (value: string, ctx: z.RefinementCtx) => {
    const problem = problemOf(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  };
}

/** Field rules shared by the admin API's bodies and the console's forms; the rules are the domain's. */
export const emailField = z
  .string('Enter an email address.')
  .max(320, 'The email address is too long.')
  .overwrite(normaliseEmail)
  .superRefine(ruled(emailProblem));

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
      .max(64, 'A group name is too long.')
      .superRefine(ruled(groupNameProblem)),
    'Groups must be a list of names.',
  )
  .max(50, 'At most 50 groups.');

/** Long enough for any password the policy accepts; the policy itself says what is wrong. */
export const passwordField = z
  .string('Enter a password.')
  .min(1, 'Enter a password.')
  .max(1024, 'The password is too long.');

/* Paging: `offset` and `limit` on every list, the total in every answer. */
export const pagingQuery = {
  offset: z.coerce
    .number('offset must be a number.')
    .int('offset must be a whole number.')
    .min(0, 'offset must be 0 or more.')
    .max(10_000_000, 'offset is too large.')
    .default(0),
  limit: z.coerce
    .number('limit must be a number.')
    .int('limit must be a whole number.')
    .min(1, 'limit must be at least 1.')
    .max(1000, 'limit must be at most 1000.')
    .default(100),
};

const isoDate = z.string().describe('An ISO 8601 date and time (UTC).');
const stringList = z.array(z.string());

export const userResponse = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  groups: stringList,
  status: z.enum(['invited', 'active', 'disabled']),
  emailVerified: z.boolean(),
  hasPassword: z.boolean(),
  localPasswordAllowed: z
    .boolean()
    .describe('A user without a password may set one through "Forgot password".'),
  lastLoginAt: isoDate.nullable(),
  failedLoginAttempts: z.number().int(),
  lockedOut: z.boolean(),
  lockoutEnd: isoDate.nullable(),
  locale: z
    .string()
    .nullable()
    .describe("The user's language (set at sign-in or invitation): their emails are written in it."),
  createdAt: isoDate,
  updatedAt: isoDate,
});

export const userListResponse = z.object({
  users: z.array(userResponse),
  total: z.number().int(),
  offset: z.number().int(),
  limit: z.number().int(),
  next: z.string().nullable().describe('The next page, with the same filters; null on the last.'),
  previous: z.string().nullable().describe('The previous page; null on the first.'),
});

export const externalLoginResponse = z.object({
  providerAlias: z.string(),
  providerName: z.string().nullable(),
  subject: z.string(),
  email: z.string().nullable(),
  detached: z.boolean(),
  createdAt: isoDate,
  lastUsedAt: isoDate.nullable(),
});

export const sessionResponse = z.object({
  uid: z.string(),
  device: z.string(),
  ip: z.string().nullable(),
  signedInAt: isoDate.nullable(),
  lastSeenAt: isoDate.nullable(),
  expiresAt: isoDate.nullable(),
  clientIds: stringList,
});

export const clientResponse = z.object({
  clientId: z.string(),
  name: z.string().nullable(),
  type: z.enum(['public', 'confidential']),
  authMethod: z.string(),
  redirectUris: stringList,
  postLogoutRedirectUris: stringList,
  backchannelLogoutUri: z.string().nullable(),
  grants: stringList,
  scopes: stringList.describe('Empty: every scope the provider offers.'),
  skipConsent: z.boolean(),
  frontchannelLogoutUri: z.string().nullable(),
  pkce: z.enum(['required', 'optional']),
  jwksUri: z.string().nullable(),
  jwksKeys: z.number().int().describe('How many public keys are registered inline.'),
  idTokenSigningAlg: z.string(),
  userinfoSigningAlg: z.string().nullable(),
  accessTokenFormat: z.enum(['opaque', 'jwt']),
  allowedGroups: stringList.describe('Empty: every user may use the application.'),
  builtIn: z.boolean().describe('The console client: it cannot be changed or deleted.'),
  createdAt: isoDate,
  updatedAt: isoDate,
});

export const clientWithSecretResponse = clientResponse.extend({
  secret: z.string().optional().describe('A generated secret, shown here once and never again.'),
});

export const providerResponse = providerViewSchema;

export const keyResponse = z.object({
  kid: z.string(),
  alg: z.string(),
  state: z.enum(['active', 'retired', 'expired']),
  createdAt: isoDate,
  retiredAt: isoDate.nullable(),
  expiresAt: isoDate.nullable(),
});

export const auditEventResponse = z.object({
  id: z.number().int(),
  type: z.string(),
  at: isoDate,
  ip: z.string().nullable(),
  affectedUserId: z.string().nullable(),
  performingUserId: z.string().nullable(),
  actor: z
    .object({ kind: z.enum(['user', 'client', 'cli']), id: z.string() })
    .nullable()
    .describe('Who acted: a user, a machine client, or the OS user of a CLI command.'),
  details: z.record(z.string(), z.unknown()),
});

export const outboxMessageResponse = z.object({
  id: z.number().int(),
  emailType: z.string(),
  to: z.string(),
  subject: z.string(),
  text: z.string(),
  links: stringList,
  createdAt: isoDate,
});
