import { wording } from '../i18n/wording.ts';
import type { User } from '../users/user.ts';
import { authenticationLevel, type CompletedFactor } from './factors.ts';
import { DEFAULT_STEPS } from './steps.ts';
import {
  type RefusedSignIn,
  refused,
  type SignInAttempt,
  type SignInContext,
  type SignInOutcome,
  type SignInPipelineDeps,
  type SignInStep,
} from './types.ts';

export type { InvitationClaim, PendingLink, SignInContext, SignInOutcome, SignInStep } from './types.ts';

/**
 * Where every way in ends (password page, JSON API, second factor, invitation by password or
 * upstream, upstream sign-in, link, step-up, re-authentication), as Kratos's PostLoginHook: the named steps run in order
 * and any of them may stop the sign-in; when none does, the sign-in is complete — the failure
 * count starts again, the sign-in is recorded and announced, and `amr`/`acr` come from the factors
 * actually completed. No route decides any of this itself. Later rules (rate limits, access per
 * application, group mapping) are steps added to `steps`.
 */
export class SignInPipeline {
  readonly steps: SignInStep[];
  readonly #deps: SignInPipelineDeps;

  constructor(deps: SignInPipelineDeps, steps: SignInStep[] = DEFAULT_STEPS) {
    this.#deps = deps;
    this.steps = [...steps];
  }

  async complete(user: User, factors: CompletedFactor[], context: SignInContext): Promise<SignInOutcome> {
    const fresh = context.attempt?.current ? user : await this.#deps.userManager.findById(user.id);
    if (!fresh)
      return this.#refuse(user.id, context, refused('unknown_user', wording('signIn.refused.unknownUser')));
    const attempt: SignInAttempt = { user: fresh, factors, context };
    for (const step of this.steps) {
      const stop = await step.run(attempt, this.#deps);
      if (!stop) continue;
      // The sign-in goes no further now: the right answer that got it here no longer counts.
      if (context.attempt?.reserved) await this.#deps.userManager.releaseAttempt(attempt.user);
      if (stop.status === 'refused') return this.#refuse(attempt.user.id, context, stop);
      return stop;
    }
    return this.#finish(attempt);
  }

  async #finish({ user, factors, context }: SignInAttempt): Promise<SignInOutcome> {
    const level = authenticationLevel(factors);
    await this.#deps.userManager.completeSignIn(user, context.actor);
    await this.#deps.notifications.publish(
      'UserLoginSuccess',
      { affectedUserId: user.id, actor: context.actor },
      { method: level.method, providerAlias: level.providerAlias },
    );
    return { status: 'complete', user, ...level };
  }

  async #refuse(userId: string, context: SignInContext, refusal: RefusedSignIn): Promise<SignInOutcome> {
    await this.#deps.notifications.publish(
      'UserLoginFailed',
      { affectedUserId: userId, actor: context.actor },
      { reason: refusal.reason },
    );
    return refusal;
  }
}
