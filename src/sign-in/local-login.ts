import { wording } from '../i18n/wording.ts';
import { isSecondFactor, upstreamOf } from './factors.ts';
import {
  refused,
  type SignInAttempt,
  type SignInOutcome,
  type SignInPipelineDeps,
  type SignInStep,
} from './types.ts';

/**
 * DenyLocalLogin for the account that signs in (everyone, or the domains DENY_LOCAL_LOGIN_DOMAINS
 * names), on every way in with a password; and break-glass, its one exception. Linking
 * confirmation (an upstream plus the password) is checked by its own route.
 */
export const localLogin: SignInStep = {
  name: 'local-login',
  async run(attempt, deps) {
    const { user, factors, context } = attempt;
    if (!factors.some((f) => f.method === 'pwd') || upstreamOf(factors)) return undefined;
    if (context.breakGlass) return breakGlass(attempt, deps, context.breakGlass.group);
    if (await deps.external.passwordsDeniedFor(user.email)) {
      return refused('refused', wording('signIn.refused.passwordsOff'));
    }
    return undefined;
  },
};

/**
 * Break-glass: when the upstream is down and passwords are off, members of BREAK_GLASS_GROUP still
 * get in — with their password and a second factor set up beforehand (enrolling one now would let
 * a stolen password choose its own), announced loudly (`BreakGlassSignIn`) once both are given.
 */
async function breakGlass(
  { user, factors, context }: SignInAttempt,
  deps: SignInPipelineDeps,
  group: string,
): Promise<SignInOutcome | undefined> {
  if (!user.groups.includes(group)) return refused('refused', wording('signIn.refused.breakGlassNotMember'));
  if (factors.some(isSecondFactor)) {
    await deps.notifications.publish(
      'BreakGlassSignIn',
      { affectedUserId: user.id, actor: context.actor },
      { group },
    );
    return undefined;
  }
  if ((await deps.twoFactor.requirement(user, { forced: true })) !== 'verify') {
    return refused('refused', wording('signIn.refused.breakGlassNoFactor'));
  }
  // The second-factor step asks for it whatever the account's group rules say.
  context.twoFactorDemanded = true;
  return undefined;
}
