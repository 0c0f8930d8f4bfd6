import { z } from 'zod';
import { securitySettingsSchema } from './security-settings.ts';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => ['true', '1', 'yes'].includes(v));
const port = z.coerce.number().int().min(0).max(65535);
const seconds = z.coerce.number().int().min(1).max(86_400);
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

const hexColour = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #1f5fbf');

// Every setting documents itself here: docs/configuration.md is generated from these descriptions
// (`npm run docs:config`), so the documentation cannot drift from what is read.
export const settingsSchema = z.object({
  NODE_ENV: z
    .enum(['development', 'production', 'test'])
    .default('development')
    .describe('`production` requires SECRET_KEY; `development` generates one into DATA_DIR.'),
  PORT: port.default(3000).describe('Port the server listens on.'),
  HOST: z.string().min(1).default('0.0.0.0').describe('Address the server listens on.'),
  // oidc-provider refuses these at construction, after migrations ran, with a message that does not
  // name the setting; an issuer is compared as a string by every client, so it stays plain.
  ISSUER: httpUrl
    .refine((v) => {
      // Zod runs this even after the URL check failed; that failure is the one to report.
      const url = URL.parse(v);
      return !url || (!/[?#]/.test(v) && !url.username && !url.password);
    }, 'must not have a query, a fragment or credentials')
    .optional()
    .describe(
      'The issuer URL as clients see it (no query, fragment or credentials). Default `http://localhost:$PORT`.',
    ),
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' })
    .optional()
    .describe('PostgreSQL connection URL. Unset: an embedded database under DATA_DIR.'),
  DATABASE_POOL_MAX: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .default(10)
    .describe('Largest number of pooled database connections per process (per worker).'),
  DATABASE_PREPARED_STATEMENTS: bool
    .default(true)
    .describe(
      'Name the hot statements (token writes and lookups) so PostgreSQL parses and plans them once per connection. Turn off behind a transaction pooler that does not support prepared statements (pgbouncer before 1.21, or without max_prepared_statements).',
    ),
  DATABASE_LISTEN_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' })
    .optional()
    .describe(
      'A direct connection for LISTEN/NOTIFY cache invalidation when DATABASE_URL goes through a transaction pooler (pgbouncer). Default: DATABASE_URL.',
    ),
  CACHE_TTL_SECONDS: seconds
    .default(60)
    .describe(
      'How long clients and upstream providers stay cached per node when no change notification arrives (the safety net behind LISTEN/NOTIFY).',
    ),
  REFRESH_TOKEN_REUSE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(300)
    .default(10)
    .describe(
      'How long a rotated refresh token may be presented again and get new tokens (a client that never received the answer retries). After it, reuse revokes the grant. 0 turns it off.',
    ),
  DATA_DIR: z
    .string()
    .min(1)
    .default('./data')
    .describe('Where the embedded database and the generated development secret live.'),
  SECRET_KEY: z
    .string()
    .min(32, 'must be at least 32 characters')
    .optional()
    .describe(
      'Encrypts stored secrets and derives cookie keys; at least 32 characters. Required in production; generated into DATA_DIR in development.',
    ),
  TRUST_PROXY: bool
    .default(false)
    .describe(
      'Deprecated: use TRUSTED_PROXIES. `true` without TRUSTED_PROXIES trusts proxies on loopback and private networks.',
    ),
  SMTP_URL: z
    .url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' })
    .optional()
    .describe(
      'Email delivery (`smtp://` or `smtps://`). Unset: emails go to the `outbox` table and the log.',
    ),
  MAIL_FROM: z.string().min(3).default('Gatehouse <no-reply@localhost>').describe('Sender of every email.'),
  GATEHOUSE_EXTENSIONS: z
    .string()
    .min(1)
    .optional()
    .describe('Path of a module exporting `configure(builder)`; see docs/extending.md.'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('Lowest level written to the log.'),
  LOG_FORMAT: z
    .enum(['json', 'pretty'])
    .optional()
    .describe(
      '`json` (one object a line) or `pretty` (coloured lines for people). Unset: pretty on a terminal, JSON otherwise.',
    ),
  ALLOW_PRIVATE_NETWORK_FETCH: bool
    .default(false)
    .describe(
      'Let server-side fetches (back-channel logout, upstream discovery) reach loopback and private addresses.',
    ),
  LOGOUT_ALWAYS_CONFIRM: bool
    .default(false)
    .describe(
      'Ask "Sign out?" even when the application sends a valid id_token_hint for the signed-in user (by default such a sign-out needs no click).',
    ),
  DYNAMIC_CLIENT_REGISTRATION: bool
    .default(false)
    .describe(
      'Open /reg (RFC 7591/7592) to applications holding an initial access token from `gatehouse client registration-token`.',
    ),
  KEYS_REFRESH_INTERVAL_SECONDS: seconds
    .default(60)
    .describe('How often each node looks for rotated signing keys.'),
  PURGE_INTERVAL_SECONDS: seconds.default(300).describe('How often expired OIDC artefacts are purged.'),
  PASSWORD_REQUIRED_LENGTH: z.coerce
    .number()
    .int()
    .min(1)
    .max(256)
    .default(10)
    .describe('Minimum password length.'),
  PASSWORD_REQUIRE_NON_LETTER_OR_DIGIT: bool
    .default(false)
    .describe('Passwords need a character that is neither letter nor digit.'),
  PASSWORD_REQUIRE_DIGIT: bool.default(false).describe('Passwords need a digit.'),
  PASSWORD_REQUIRE_LOWERCASE: bool.default(false).describe('Passwords need a lowercase letter.'),
  PASSWORD_REQUIRE_UPPERCASE: bool.default(false).describe('Passwords need an uppercase letter.'),
  MAX_FAILED_ACCESS_ATTEMPTS_BEFORE_LOCKOUT: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(5)
    .describe('Failed sign-ins in a row that lock an account.'),
  LOCKOUT_DURATION_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(365 * 86_400)
    .default(900)
    .describe('How long a locked account stays locked.'),
  USER_MINIMUM_FAILED_LOGIN_DURATION_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(1000)
    .describe('Every failed sign-in takes at least this long, so timing reveals nothing.'),
  INVITE_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(72)
    .describe('Lifetime of an invitation link.'),
  PRIVILEGED_SESSION_MAX_AGE_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 3600)
    .default(900)
    .describe(
      'Turning two-factor methods on, new recovery codes, linking and unlinking providers need a sign-in at most this old.',
    ),
  PASSWORD_RESET_TTL_MINUTES: z.coerce
    .number()
    .int()
    .min(5)
    .max(24 * 60)
    .default(60)
    .describe('Lifetime of a password-reset link.'),
  TWO_FACTOR_REQUIRED_GROUPS: z
    .string()
    .regex(/^[\w .:-]*(,[\w .:-]*)*$/, 'must be a comma-separated list of group names')
    .default('')
    .describe('Comma-separated groups whose members must use two-factor; they enrol at their next sign-in.'),
  UPSTREAM_REVALIDATE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * 86_400)
    .default(900)
    .describe(
      'How often an upstream-linked user is re-checked at the upstream (refresh token, or user-info for OAuth2), on a schedule and when an application refreshes a token; a refusal ends their sessions and grants. 0 turns it off.',
    ),
  DENY_LOCAL_LOGIN_DOMAINS: z
    .string()
    .regex(/^([a-z0-9.-]+(,\s*[a-z0-9.-]+)*)?$/i, 'must be a comma-separated list of email domains')
    .default('')
    .describe(
      'Comma-separated email domains whose users must sign in upstream: DenyLocalLogin for them only, others may use passwords. Empty: a provider’s denyLocalLogin applies to everyone.',
    ),
  BREAK_GLASS_GROUP: z
    .string()
    .regex(/^[\w .:-]{1,64}$/, 'must be a group name')
    .optional()
    .describe('Members sign in with password and second factor at /break-glass even under DenyLocalLogin.'),
  PRODUCT_NAME: z
    .string()
    .min(1)
    .max(80)
    .default('Gatehouse')
    .describe('The name people see on every page and email.'),
  LOGO_URL: httpUrl.optional().describe('An http(s) URL of the logo shown above every page.'),
  LOGO_FILE: z
    .string()
    .regex(/\.(svg|png|jpe?g|webp)$/i, 'must be an .svg, .png, .jpg or .webp file')
    .optional()
    .describe('A logo file (svg, png, jpg, webp) served by Gatehouse itself; wins over LOGO_URL.'),
  PRIMARY_COLOR: hexColour
    .default('#1f5fbf')
    .describe(
      'Colour of buttons and links (`#rrggbb`); adjusted where needed to keep AA contrast in light and dark mode.',
    ),
  SUPPORT_CONTACT: z
    .string()
    .min(3)
    .max(200)
    .optional()
    .describe('An email address or URL that error pages offer people who are stuck.'),
  ...securitySettingsSchema,
});

export type SettingsInput = z.input<typeof settingsSchema>;
