import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { ACR } from './acr.ts';

/** Why the login prompt asks again for a signed-in user: the client wants two factors. */
export const TWO_FACTOR_STEP_UP = 'two_factor_required';

export function wantsTwoFactor(acrValues: unknown): boolean {
  return typeof acrValues === 'string' && acrValues.split(' ').includes(ACR.multiFactor);
}

/**
 * oidc-provider's default prompts plus one check: a client that sends `acr_values=2` gets a
 * second-factor step when the session was established with one factor only (step-up, as
 * Keycloak's level-of-authentication flows).
 */
export function buildInteractionPolicy(): interactionPolicy.Prompt[] {
  const policy = interactionPolicy.base();
  const login = policy.get('login');
  login?.checks.add(
    new interactionPolicy.Check(
      TWO_FACTOR_STEP_UP,
      'a second factor is required',
      (ctx: KoaContextWithOIDC) => {
        const { oidc } = ctx;
        if (!oidc.session?.accountId || !wantsTwoFactor(oidc.params?.acr_values))
          return interactionPolicy.Check.NO_NEED_TO_PROMPT;
        return oidc.session.acr === ACR.multiFactor
          ? interactionPolicy.Check.NO_NEED_TO_PROMPT
          : interactionPolicy.Check.REQUEST_PROMPT;
      },
    ),
  );
  return policy;
}
