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
  | { method: 'fed'; providerAlias: string; bypassTwoFactor?: boolean };

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
  const amr = [...new Set(factors.map((f) => AMR[f.method]))];
  const multi = factors.some(isSecondFactor) && factors.some((f) => !isSecondFactor(f));
  const upstream = upstreamOf(factors);
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
