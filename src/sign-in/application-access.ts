import { wording } from '../i18n/wording.ts';
import { announceRefusal, mayUse } from '../oidc/application-access.ts';
import { refused, type SignInStep } from './types.ts';

/**
 * Per-application access: an application limited to groups admits only their members. Last of the
 * steps, so that the refusal — which says the credentials were right — is shown only to someone who
 * gave every factor. The same rule holds for a session reused for another application
 * (interaction-policy.ts) and at the token endpoint (token-guards.ts).
 */
export const applicationAccess: SignInStep = {
  name: 'application-access',
  async run({ user, context }, deps) {
    const application = context.application;
    if (!application || mayUse(user.groups, application.allowedGroups)) return undefined;
    await announceRefusal(deps.notifications, {
      userId: user.id,
      clientId: application.clientId,
      stage: 'sign-in',
      actor: context.actor,
    });
    return refused('application_denied', wording('signIn.refused.applicationDenied'));
  },
};
