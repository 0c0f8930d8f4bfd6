import { ACR } from '../oidc/acr.ts';

/**
 * A way of proving who one is that this sign-in has completed (Kratos's
 * CompletedAuthenticationMethod). Plain data: it travels in a pending second-factor step.
 */
export type CompletedFactor =
  | { method: 'pwd' }
  | { method: 'otp' }
  | { method: 'email' }
  | { method: 'recovery' }
  | {
      method: 'fed';
      providerAlias: string;
      bypassTwoFactor?: boolean;
      /** What the upstream said of its own sign-in (`amr`), kept when the provider is trusted for it. */
      upstreamAmr?: string[];
      /** The upstream's sign-in counted as two factors (its `amr` or `acr` says so). */
      upstreamMultiFactor?: boolean;
    };

export type SecondFactorMethod = 'otp' | 'email' | 'recovery';

/** How the session says the user signed in: `amr`, `acr` and the notification's method. */
export interface AuthenticationLevel {
  amr: string[];
  acr: string;
  method: 'password' | 'external';
  providerAlias: string | undefined;
}

/** RFC 8176 values; a recovery code is a one-time password from a printed list. */
const AMR: Record<CompletedFactor['method'], string> = {
  pwd: 'pwd',
  otp: 'otp',
  email: 'email',
  recovery: 'otp',
  fed: 'fed',
};

export function isSecondFactor(factor: CompletedFactor): boolean {
  return factor.method === 'otp' || factor.method === 'email' || factor.method === 'recovery';
}

export function upstreamOf(
  factors: CompletedFactor[],
): Extract<CompletedFactor, { method: 'fed' }> | undefined {
  return factors.find((f): f is Extract<CompletedFactor, { method: 'fed' }> => f.method === 'fed');
}

/** Derived from the factors actually completed, never from the route that completed them. */
export function authenticationLevel(factors: CompletedFactor[]): AuthenticationLevel {
  const upstream = upstreamOf(factors);
  // A trusted upstream's own methods (Entra: ["pwd","mfa"]) are carried, after "fed".
  const carried = upstream?.bypassTwoFactor ? (upstream.upstreamAmr ?? []) : [];
  const amr = [...new Set([...factors.map((f) => AMR[f.method]), ...carried])].filter((m) => m !== 'mfa');
  const multi =
    (factors.some(isSecondFactor) && factors.some((f) => !isSecondFactor(f))) ||
    (upstream?.bypassTwoFactor === true && upstream.upstreamMultiFactor === true);
  return {
    amr: multi ? [...amr, 'mfa'] : amr,
    acr: multi ? ACR.multiFactor : ACR.singleFactor,
    method: upstream ? 'external' : 'password',
    providerAlias: upstream?.providerAlias,
  };
}

/**
 * The factors behind an existing session (step-up): its `amr`, and the upstream the session came
 * from when it came from one.
 */
export function factorsOfSession(
  amr: string[] | undefined,
  upstreamAlias: string | undefined,
): CompletedFactor[] {
  const factors: CompletedFactor[] = [];
  if (amr?.includes('fed')) factors.push({ method: 'fed', providerAlias: upstreamAlias ?? 'unknown' });
  if (amr?.includes('pwd') || factors.length === 0) factors.push({ method: 'pwd' });
  return factors;
}

/** RFC 8176 methods that are a second factor beside a password (a code, a key, a body part). */
const SECOND_FACTOR_AMR = new Set([
  'otp',
  'hwk',
  'swk',
  'sms',
  'tel',
  'fpt',
  'face',
  'iris',
  'retina',
  'vbm',
  'sc',
  'pop',
]);
/** `acr` values upstreams use for a multi-factor sign-in (Keycloak's level 2, Okta, PAPE). */
const MULTI_FACTOR_ACR = new Set([
  ACR.multiFactor,
  'mfa',
  'urn:okta:loa:2fa:any',
  'http://schemas.openid.net/pape/policies/2007/06/multi-factor',
]);

/**
 * The factor of an upstream sign-in. What the upstream says of its own sign-in (`amr`, `acr`) is
 * read here and counts only for a provider trusted for it (`bypassTwoFactor`): then Entra's
 * `amr: ["pwd","mfa"]` makes Gatehouse's session two-factor (`acr` 2) instead of asking again.
 */
export function upstreamFactor(
  provider: { alias: string; options: { bypassTwoFactor: boolean } },
  claims: Record<string, unknown>,
): CompletedFactor {
  const amr = Array.isArray(claims.amr) ? claims.amr.filter((m): m is string => typeof m === 'string') : [];
  const acr = typeof claims.acr === 'string' ? claims.acr : undefined;
  const multi =
    amr.includes('mfa') ||
    (amr.some((m) => SECOND_FACTOR_AMR.has(m)) && amr.some((m) => !SECOND_FACTOR_AMR.has(m))) ||
    (acr !== undefined && MULTI_FACTOR_ACR.has(acr));
  return {
    method: 'fed',
    providerAlias: provider.alias,
    bypassTwoFactor: provider.options.bypassTwoFactor,
    ...(amr.length ? { upstreamAmr: amr.slice(0, 10) } : {}),
    ...(multi ? { upstreamMultiFactor: true } : {}),
  };
}
