import type { Context, Middleware } from 'koa';
import type { DatabaseAvailability } from '../db/availability.ts';
import type { RateLimitName } from '../rate-limits/policies.ts';
import { type LimitRequest, RateLimitedError, type RateLimits } from '../rate-limits/rate-limits.ts';
import type { Views } from '../rendering/views.ts';
import { parseBodyAhead } from './body.ts';
import { databaseUnavailable, respond } from './error-handler.ts';

/** What a limit counts a request by: the client's address, or a field of the form or JSON body. */
type Subject = { ip: true } | { field: string };

interface Limit {
  name: RateLimitName;
  by: Subject;
}

interface Rule {
  methods: readonly string[];
  path: RegExp;
  limits: readonly Limit[];
}

const BY_IP = { ip: true } as const;
const POST = ['POST'] as const;
const ANY = ['GET', 'POST'] as const;

/**
 * Which requests each named limit (../rate-limits/policies.ts) applies to: every way to guess a
 * second factor, a device code or a link token, to make Gatehouse send email, and every upstream
 * return. Password sign-in is limited where every way in checks a password (SignInManager), and
 * second factors per account where they are checked (TwoFactorService).
 */
const RULES: readonly Rule[] = [
  {
    methods: POST,
    path: /^\/(interaction\/[^/]+\/two-factor(\/enrol)?|api\/auth\/two-factor\/verify|account\/two-factor\/(authenticator|email\/confirm))$/,
    limits: [{ name: 'TWO_FACTOR_PER_IP', by: BY_IP }],
  },
  {
    methods: POST,
    path: /^\/(interaction\/[^/]+\/two-factor\/send|api\/auth\/two-factor\/send|account\/two-factor\/email)$/,
    limits: [{ name: 'EMAIL_CODE_PER_IP', by: BY_IP }],
  },
  {
    methods: POST,
    path: /^\/(reset-password|api\/auth\/request-password-reset)$/,
    limits: [
      { name: 'PASSWORD_RESET_PER_IP', by: BY_IP },
      { name: 'PASSWORD_RESET_PER_EMAIL', by: { field: 'email' } },
    ],
  },
  {
    methods: ANY,
    path: /^\/(invite|reset-password\/complete|setup\/[^/]+|api\/auth\/(verify-invite|set-invited-user-password|set-password))$/,
    limits: [{ name: 'LINK_REDEMPTION_PER_IP', by: BY_IP }],
  },
  {
    // The device flow's code entry and confirmation (a GET with user_code only re-posts the form).
    methods: POST,
    path: /^\/device$/,
    limits: [{ name: 'DEVICE_CODE_PER_IP', by: BY_IP }],
  },
  {
    methods: ANY,
    path: /^\/(external\/[^/]+\/(callback|backchannel-logout)|interaction\/[^/]+\/external\/[^/]+\/callback|logout\/upstream-callback)$/,
    limits: [{ name: 'EXTERNAL_CALLBACK_PER_IP', by: BY_IP }],
  },
];

/**
 * Applies the rate limits to the routes they protect, before the route runs. A refusal is a 429 with
 * `Retry-After`: the error page for people, `{ error, message }` for APIs.
 */
export function rateLimitedRoutes(
  limits: RateLimits,
  views: Views,
  availability: DatabaseAvailability,
): Middleware {
  return async (ctx, next) => {
    const rule = ruleFor(ctx);
    if (!rule) return next();
    try {
      // Every limit of the route in one statement (in order: a refused one stops the count).
      await limits.applyAll(await requestsFor(ctx, rule.limits), ctx.ip);
    } catch (error) {
      if (error instanceof RateLimitedError) return respond(ctx, views, error);
      if (availability.report(error)) return respond(ctx, views, databaseUnavailable());
      throw error;
    }
    return next();
  };
}

function ruleFor(ctx: Context): Rule | undefined {
  // A reset link opened by GET carries its token: that is a redemption too.
  if (ctx.method === 'GET' && ctx.path === '/reset-password' && ctx.query.token !== undefined) {
    return { methods: ANY, path: /./, limits: [{ name: 'LINK_REDEMPTION_PER_IP', by: BY_IP }] };
  }
  return RULES.find((r) => r.methods.includes(ctx.method) && r.path.test(ctx.path));
}

async function requestsFor(ctx: Context, rules: readonly Limit[]): Promise<LimitRequest[]> {
  const requests: LimitRequest[] = [];
  for (const limit of rules) {
    if ('ip' in limit.by) {
      requests.push({ name: limit.name, subject: ctx.ip, mode: 'consume' });
      continue;
    }
    const body = await parseBodyAhead(ctx);
    const value = body?.[limit.by.field];
    if (typeof value === 'string' && value.trim())
      requests.push({ name: limit.name, subject: value.trim(), mode: 'consume' });
  }
  return requests;
}
