import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { ACR } from './acr.ts';
import { allowedGroupsOf, mayUse } from './application-access.ts';

/** Why the login prompt asks again for a signed-in user: the client wants two factors. */
export const TWO_FACTOR_STEP_UP = 'two_factor_required';
/** Why the login prompt stops a signed-in user: the application is limited to groups they are not in. */
export const APPLICATION_ACCESS = 'application_access_denied';

export function wantsTwoFactor(acrValues: unknown): boolean {
  return typeof acrValues === 'string' && acrValues.split(' ').includes(ACR.multiFactor);
}

/**
 * oidc-provider's default prompts plus two checks: a client that sends `acr_values=2` gets a
 * second-factor step when the session was established with one factor only (step-up, as
 * Keycloak's level-of-authentication flows); and a session made for one application is not used
 * for another that the user may not use (the interaction shows why; `prompt=none` gets
 * access_denied).
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
  login?.checks.add(
    new interactionPolicy.Check(
      APPLICATION_ACCESS,
      'the account may not use this application',
      'access_denied',
      async (ctx: KoaContextWithOIDC) => {
        const { account, client } = ctx.oidc;
        const allowed = allowedGroupsOf(client?.metadata());
        if (!account || allowed.length === 0) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
        const { groups } = await account.claims('id_token', 'openid', {}, []);
        const member = Array.isArray(groups) && mayUse(groups.map(String), allowed);
        return member ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT;
      },
    ),
  );
  return policy;
}
