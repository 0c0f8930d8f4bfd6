import proxyaddr from 'proxy-addr';
import { z } from 'zod';
import {
  parseRateLimit,
  RATE_LIMIT_NAMES,
  RATE_LIMIT_POLICIES,
  type RateLimitName,
  type RateLimitSettings,
} from '../rate-limits/policies.ts';

/** Things NODE_ENV=production refuses unless ALLOW_IN_PRODUCTION names them. */
export const PRODUCTION_OPT_INS = ['http-issuer', 'private-network-fetch', 'embedded-database'] as const;
export type ProductionOptIn = (typeof PRODUCTION_OPT_INS)[number];

const rateLimit = (name: RateLimitName) => {
  const p = RATE_LIMIT_POLICIES[name];
  return z
    .string()
    .refine((v) => parseRateLimit(v) !== undefined, 'must be `<count>/<seconds>` (such as 20/600) or `off`')
    .optional()
    .describe(
      `Rate limit ${name.toLowerCase().replaceAll('_', ' ')}: \`<count>/<seconds>\` or \`off\`. Default ${p.limit}/${p.windowSeconds}.`,
    );
};

/** The settings of issue 10 (abuse resistance and safe operation), merged into the settings schema. */
export const securitySettingsSchema = {
  TRUSTED_PROXIES: z
    .string()
    .refine((v) => {
      try {
        proxyaddr.compile(list(v));
        return true;
      } catch {
        return false;
      }
    }, 'must be a comma-separated list of IP addresses, CIDR ranges, or loopback, linklocal, uniquelocal')
    .optional()
    .describe(
      'Comma-separated addresses or CIDR ranges of the reverse proxies in front of Gatehouse (or `loopback`, `linklocal`, `uniquelocal`). Only their `X-Forwarded-For` hops are believed. Scheme and host always come from ISSUER.',
    ),
  EMAIL_DELIVERY: z
    .enum(['smtp', 'outbox'])
    .optional()
    .describe(
      '`smtp` (needs SMTP_URL) or `outbox` (emails wait in the outbox table). Default: smtp when SMTP_URL is set. With NODE_ENV=production, a missing SMTP_URL needs EMAIL_DELIVERY=outbox.',
    ),
  ALLOW_IN_PRODUCTION: z
    .string()
    .regex(
      new RegExp(`^\\s*(${PRODUCTION_OPT_INS.join('|')})\\s*(,\\s*(${PRODUCTION_OPT_INS.join('|')})\\s*)*$`),
      `must be a comma-separated list of ${PRODUCTION_OPT_INS.join(', ')}`,
    )
    .optional()
    .describe(
      `With NODE_ENV=production, lets the start go ahead despite: ${PRODUCTION_OPT_INS.join(', ')} (comma-separated). Each is refused otherwise.`,
    ),
  METRICS_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional()
    .describe('When set, /metrics answers only requests with `Authorization: Bearer <METRICS_TOKEN>`.'),
  MANAGEMENT_PORT: z.coerce
    .number()
    .int()
    .min(1)
    .max(65535)
    .optional()
    .describe(
      "When set, /metrics, /healthz and /readyz are also served on this port (on HOST), as Keycloak's management interface, and /metrics is no longer served on PORT. Keep this port off the public network.",
    ),
  DB_CONNECT_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(60_000)
    .default(5000)
    .describe('How long a request waits for a database connection before it is answered 503.'),
  DB_STATEMENT_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(15_000)
    .describe('PostgreSQL statement_timeout of every connection: no query runs (or waits) longer.'),
  AUDIT_RETENTION_DAYS: z.coerce
    .number()
    .int()
    .min(1)
    .max(36_500)
    .default(365)
    .describe('Audit events older than this many days are deleted by the purge loop.'),
  ...(Object.fromEntries(RATE_LIMIT_NAMES.map((name) => [`RATE_LIMIT_${name}`, rateLimit(name)])) as Record<
    `RATE_LIMIT_${RateLimitName}`,
    ReturnType<typeof rateLimit>
  >),
};

export interface SecuritySettings {
  /** proxy-addr trust list; empty: the socket's address is the client's. */
  trustedProxies: string[];
  emailDelivery: 'smtp' | 'outbox';
  allowInProduction: ProductionOptIn[];
  metricsToken: string | undefined;
  /** The management listener's port (/metrics, /healthz, /readyz); undefined: none. */
  managementPort: number | undefined;
  dbConnectTimeoutMs: number;
  dbStatementTimeoutMs: number;
  auditRetentionDays: number;
  rateLimits: RateLimitSettings;
  /** Things to tell the operator once at start (deprecated settings). */
  startupWarnings: string[];
}

type Parsed = Record<string, unknown>;

export function readSecuritySettings(s: Parsed): SecuritySettings {
  const startupWarnings: string[] = [];
  let trustedProxies = typeof s.TRUSTED_PROXIES === 'string' ? list(s.TRUSTED_PROXIES) : [];
  if (s.TRUST_PROXY === true && s.TRUSTED_PROXIES === undefined) {
    // The old switch believed any X-Forwarded-For; the closest safe reading is "proxies on private networks".
    trustedProxies = ['loopback', 'linklocal', 'uniquelocal'];
    startupWarnings.push(
      'TRUST_PROXY is deprecated: set TRUSTED_PROXIES to the addresses of your proxies. Until then, proxies on loopback and private networks are trusted.',
    );
  }
  const rateLimits = Object.fromEntries(
    RATE_LIMIT_NAMES.map((name) => {
      const given = s[`RATE_LIMIT_${name}`];
      const { limit, windowSeconds } = RATE_LIMIT_POLICIES[name];
      return [name, typeof given === 'string' ? (parseRateLimit(given) ?? null) : { limit, windowSeconds }];
    }),
  ) as RateLimitSettings;
  return {
    trustedProxies,
    emailDelivery: (s.EMAIL_DELIVERY as 'smtp' | 'outbox' | undefined) ?? (s.SMTP_URL ? 'smtp' : 'outbox'),
    allowInProduction:
      typeof s.ALLOW_IN_PRODUCTION === 'string' ? (list(s.ALLOW_IN_PRODUCTION) as ProductionOptIn[]) : [],
    metricsToken: s.METRICS_TOKEN as string | undefined,
    managementPort: s.MANAGEMENT_PORT as number | undefined,
    dbConnectTimeoutMs: s.DB_CONNECT_TIMEOUT_MS as number,
    dbStatementTimeoutMs: s.DB_STATEMENT_TIMEOUT_MS as number,
    auditRetentionDays: s.AUDIT_RETENTION_DAYS as number,
    rateLimits,
    startupWarnings,
  };
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/**
 * What NODE_ENV=production refuses to start with, as the message naming the setting; undefined when
 * all is well. Each refusal can be overridden on purpose (ALLOW_IN_PRODUCTION, EMAIL_DELIVERY).
 */
export function productionRefusal(s: Parsed, issuer: string): string | undefined {
  if (s.EMAIL_DELIVERY === 'smtp' && !s.SMTP_URL) return 'SMTP_URL: required when EMAIL_DELIVERY=smtp';
  if (s.NODE_ENV !== 'production') return undefined;
  const allowed = new Set(typeof s.ALLOW_IN_PRODUCTION === 'string' ? list(s.ALLOW_IN_PRODUCTION) : []);
  if (issuer.startsWith('http://') && !allowed.has('http-issuer')) {
    return 'ISSUER: must be an https:// URL when NODE_ENV=production (browsers send session cookies over plain http to anyone on the path); set ALLOW_IN_PRODUCTION=http-issuer to start anyway';
  }
  if (!s.SMTP_URL && s.EMAIL_DELIVERY !== 'outbox') {
    return 'SMTP_URL: required when NODE_ENV=production, or set EMAIL_DELIVERY=outbox to keep emails in the outbox table for another system to send';
  }
  if (s.ALLOW_PRIVATE_NETWORK_FETCH === true && !allowed.has('private-network-fetch')) {
    return 'ALLOW_PRIVATE_NETWORK_FETCH: lets client registrations point Gatehouse at internal services; with NODE_ENV=production also set ALLOW_IN_PRODUCTION=private-network-fetch';
  }
  if (!s.DATABASE_URL && !allowed.has('embedded-database')) {
    return 'DATABASE_URL: required when NODE_ENV=production (the embedded database is for development); set ALLOW_IN_PRODUCTION=embedded-database to start anyway';
  }
  return undefined;
}
