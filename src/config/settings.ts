import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { productionRefusal, readSecuritySettings, type SecuritySettings } from './security-settings.ts';
import { settingsSchema as schema } from './settings-schema.ts';

/**
 * Every setting Gatehouse reads from the environment, validated in one place. Nothing else in
 * `src/` reads `process.env`; everything receives a `Settings` object.
 */
export interface Settings extends SecuritySettings {
  nodeEnv: 'development' | 'production' | 'test';
  /** Listen port. Default 3000. */
  port: number;
  /** Listen address. Default 0.0.0.0. */
  host: string;
  /** The issuer URL as clients see it. Default `http://localhost:$PORT`. */
  issuer: string;
  /** `postgres://…`; unset selects the embedded database under `dataDir`. */
  databaseUrl: string | undefined;
  /** Largest number of pooled database connections per process. Default 10. */
  databasePoolMax: number;
  /**
   * Name the hot statements so PostgreSQL plans them once per connection (src/db/prepared-statements.ts).
   * Default true; false behind a transaction pooler without prepared-statement support.
   */
  databasePreparedStatements: boolean;
  /**
   * A direct (session-mode) connection for LISTEN, when `databaseUrl` goes through a transaction
   * pooler such as pgbouncer, where LISTEN does not work. Default: `databaseUrl`.
   */
  databaseListenUrl: string | undefined;
  /**
   * How long clients, signing keys and upstream providers stay cached when no change notification
   * arrives: the safety net behind LISTEN/NOTIFY. Default 60 s.
   */
  cacheTtlSeconds: number;
  /**
   * How long a rotated refresh token may be presented again and still be answered with new tokens
   * (a client that never received the previous answer retries); after it, reuse revokes the grant.
   * 0 turns it off. Default 10 s.
   */
  refreshTokenReuseSeconds: number;
  /** Where the embedded database and the generated development secret live. Default `./data`. */
  dataDir: string;
  /** Encrypts stored secrets and derives cookie keys. Generated into `dataDir` in development. */
  secretKey: string;
  /** Honour `X-Forwarded-*` from a TLS terminator. Default false. */
  trustProxy: boolean;
  /** SMTP delivery; unset → outbox table + log. */
  smtpUrl: string | undefined;
  /** Sender address of every email. Default `Gatehouse <no-reply@localhost>`. */
  mailFrom: string;
  /** Module exporting `configure(builder)`. */
  extensionsPath: string | undefined;
  /** pino level. Default info. */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * Lets back-channel logout (and every other server-side fetch) reach loopback and private
   * addresses. Off by default so a client registration cannot point Gatehouse at internal services;
   * tests turn it on because their relying parties listen on 127.0.0.1.
   */
  allowPrivateNetworkFetch: boolean;
  /** Ask before signing out even with a valid id_token_hint. Default false (one-click sign-out). */
  logoutAlwaysConfirm: boolean;
  /** Dynamic client registration with initial access tokens. Default false. */
  dynamicClientRegistration: boolean;
  /** How often each node looks for rotated signing keys. Default 60 s. */
  keysRefreshIntervalSeconds: number;
  /** How often expired OIDC artefacts are purged. Default 300 s. */
  purgeIntervalSeconds: number;
  passwords: PasswordSettings;
  lockout: LockoutSettings;
  /** Lifetime of an invitation link. Default 72 hours. */
  inviteTtlSeconds: number;
  /** How recent a sign-in must be to change credentials without re-entering one (Kratos's privileged session). */
  privilegedSessionMaxAgeSeconds: number;
  /** Lifetime of a password-reset link. Default 60 minutes. */
  passwordResetTtlSeconds: number;
  /** Members of these groups must use two-factor; they enrol at their next sign-in. Default none. */
  twoFactorRequiredGroups: string[];
  /**
   * How often an upstream-linked user is re-checked at the upstream (refresh token, or user-info
   * for OAuth2): a refusal ends their sessions and grants. 0 turns it off. Default 900 s.
   */
  upstreamRevalidateSeconds: number;
  /** Members may sign in with password and second factor at /break-glass under DenyLocalLogin. */
  breakGlassGroup: string | undefined;
  /** Lower-cased; empty: DenyLocalLogin (when a provider sets it) applies to every user. */
  denyLocalLoginDomains: string[];
  /** `json`, `pretty`, or unset: pretty on a terminal. */
  logFormat: 'json' | 'pretty' | undefined;
  branding: BrandingSettings;
}

/** What makes the pages and emails the organisation's own. */
export interface BrandingSettings {
  productName: string;
  logoUrl: string | undefined;
  /** An absolute path; wins over `logoUrl`. */
  logoFile: string | undefined;
  primaryColor: string;
  /** An email address or a URL. */
  supportContact: string | undefined;
}

/** Umbraco's password options, with its defaults. */
export interface PasswordSettings {
  /** `RequiredLength`, default 10. */
  requiredLength: number;
  /** `RequireNonLetterOrDigit`, default false. */
  requireNonLetterOrDigit: boolean;
  /** `RequireDigit`, default false. */
  requireDigit: boolean;
  /** `RequireLowercase`, default false. */
  requireLowercase: boolean;
  /** `RequireUppercase`, default false. */
  requireUppercase: boolean;
}

export interface LockoutSettings {
  /** `MaxFailedAccessAttemptsBeforeLockout`, default 5. */
  maxFailedAccessAttempts: number;
  /** How long a locked account stays locked. Default 15 minutes. */
  durationSeconds: number;
  /**
   * `UserMinimumFailedLoginDurationInMilliseconds`: every failed sign-in takes at least this long,
   * whatever the reason, so timing reveals nothing. Default 1000 ms.
   */
  minimumFailedLoginMs: number;
}

export class SettingsError extends Error {
  override name = 'SettingsError';
}

type Env = Record<string, string | undefined>;

/** Reads and validates the settings; throws a `SettingsError` naming the first bad setting. */
export function loadSettings(env: Env = process.env): Settings {
  // An empty variable means "unset", as in most twelve-factor tools.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'settings');
    throw new SettingsError(`${name}: ${issue?.message ?? 'invalid'}`);
  }
  const s = parsed.data;
  const dataDir = resolve(s.DATA_DIR);
  const secretKey = s.SECRET_KEY ?? developmentSecretKey(s.NODE_ENV, dataDir);
  const refusal = productionRefusal(s, s.ISSUER ?? `http://localhost:${s.PORT}`);
  if (refusal) throw new SettingsError(refusal);
  if (s.MANAGEMENT_PORT !== undefined && s.MANAGEMENT_PORT === s.PORT)
    throw new SettingsError('MANAGEMENT_PORT: must differ from PORT');
  return {
    nodeEnv: s.NODE_ENV,
    port: s.PORT,
    host: s.HOST,
    issuer: (s.ISSUER ?? `http://localhost:${s.PORT}`).replace(/\/+$/, ''),
    databaseUrl: s.DATABASE_URL,
    databasePoolMax: s.DATABASE_POOL_MAX,
    databasePreparedStatements: s.DATABASE_PREPARED_STATEMENTS,
    databaseListenUrl: s.DATABASE_LISTEN_URL,
    cacheTtlSeconds: s.CACHE_TTL_SECONDS,
    refreshTokenReuseSeconds: s.REFRESH_TOKEN_REUSE_SECONDS,
    dataDir,
    secretKey,
    trustProxy: s.TRUST_PROXY,
    smtpUrl: s.SMTP_URL,
    mailFrom: s.MAIL_FROM,
    extensionsPath: s.GATEHOUSE_EXTENSIONS,
    logLevel: s.LOG_LEVEL,
    allowPrivateNetworkFetch: s.ALLOW_PRIVATE_NETWORK_FETCH,
    logoutAlwaysConfirm: s.LOGOUT_ALWAYS_CONFIRM,
    dynamicClientRegistration: s.DYNAMIC_CLIENT_REGISTRATION,
    keysRefreshIntervalSeconds: s.KEYS_REFRESH_INTERVAL_SECONDS,
    purgeIntervalSeconds: s.PURGE_INTERVAL_SECONDS,
    passwords: {
      requiredLength: s.PASSWORD_REQUIRED_LENGTH,
      requireNonLetterOrDigit: s.PASSWORD_REQUIRE_NON_LETTER_OR_DIGIT,
      requireDigit: s.PASSWORD_REQUIRE_DIGIT,
      requireLowercase: s.PASSWORD_REQUIRE_LOWERCASE,
      requireUppercase: s.PASSWORD_REQUIRE_UPPERCASE,
    },
    lockout: {
      maxFailedAccessAttempts: s.MAX_FAILED_ACCESS_ATTEMPTS_BEFORE_LOCKOUT,
      durationSeconds: s.LOCKOUT_DURATION_SECONDS,
      minimumFailedLoginMs: s.USER_MINIMUM_FAILED_LOGIN_DURATION_MS,
    },
    inviteTtlSeconds: s.INVITE_TTL_HOURS * 3600,
    privilegedSessionMaxAgeSeconds: s.PRIVILEGED_SESSION_MAX_AGE_SECONDS,
    passwordResetTtlSeconds: s.PASSWORD_RESET_TTL_MINUTES * 60,
    twoFactorRequiredGroups: s.TWO_FACTOR_REQUIRED_GROUPS.split(',')
      .map((g) => g.trim())
      .filter(Boolean),
    upstreamRevalidateSeconds: s.UPSTREAM_REVALIDATE_SECONDS,
    breakGlassGroup: s.BREAK_GLASS_GROUP,
    denyLocalLoginDomains: s.DENY_LOCAL_LOGIN_DOMAINS.split(',')
      .map((d) => d.trim().toLowerCase())
      .filter(Boolean),
    logFormat: s.LOG_FORMAT,
    branding: {
      productName: s.PRODUCT_NAME,
      logoUrl: s.LOGO_URL,
      logoFile: s.LOGO_FILE ? resolve(s.LOGO_FILE) : undefined,
      primaryColor: s.PRIMARY_COLOR.toLowerCase(),
      supportContact: s.SUPPORT_CONTACT,
    },
    ...readSecuritySettings(s),
  };
}

/**
 * Development convenience: a secret generated once and kept beside the embedded database, so
 * restarts keep cookies and encrypted rows readable. Production must supply its own.
 */
function developmentSecretKey(nodeEnv: Settings['nodeEnv'], dataDir: string): string {
  if (nodeEnv === 'production') {
    throw new SettingsError('SECRET_KEY: required when NODE_ENV=production (at least 32 characters)');
  }
  const file = join(dataDir, 'secret-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return secret;
}
