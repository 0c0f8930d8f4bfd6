import type { User } from '../users/user.ts';
import type { UserManager } from '../users/user-manager.ts';
import { autoLinkDecision } from './auto-link-policy.ts';
import { emailDomain, isAllowedEmailDomain } from './email-domain.ts';
import type { ExternalLoginStore } from './external-login-store.ts';
import type { ExternalProvider } from './external-provider.ts';

/** The parts of an upstream identity the decision reads (ExternalLoginService's UpstreamIdentity). */
export interface PreviewIdentity {
  sub: string;
  email?: string | undefined;
  emailVerified: boolean;
  name?: string | undefined;
}

/** What an upstream sign-in would do, decided by the same rules as the sign-in, writing nothing. */
export type SignInPreview =
  | { outcome: 'sign_in'; user: User; reason: string }
  | { outcome: 'link'; user: User; reason: string }
  | { outcome: 'create'; email: string; name: string; groups: string[]; reason: string }
  | { outcome: 'refuse'; refusal: string; reason: string };

/**
 * The auto-link dry run: given an upstream identity, says which local account the sign-in would
 * land on. It follows ExternalLoginService's order (existing link → auto-link by email → create →
 * refuse). Extensions' ExternalLoginAutoLinking and ExternalLogin handlers are not asked: asking
 * them would publish notifications, which the audit log records.
 */
export async function previewSignIn(
  deps: { links: ExternalLoginStore; userManager: UserManager },
  provider: ExternalProvider,
  identity: PreviewIdentity,
): Promise<SignInPreview> {
  const link = await deps.links.find(provider.alias, identity.sub);
  if (link) {
    const user = await deps.userManager.findById(link.userId);
    if (user?.status === 'active') {
      return { outcome: 'sign_in', user, reason: `This ${provider.displayName} account is already linked.` };
    }
    return {
      outcome: 'refuse',
      refusal: 'disabled',
      reason: 'It is linked to an account that is not active.',
    };
  }
  const auto = provider.options.autoLink;
  if (auto.mode === 'never') {
    return refuse('not_linked', 'Auto-link is off and no account is linked to this subject.');
  }
  if (!identity.email) return refuse('not_linked', 'The upstream sends no email address to link by.');
  if (auto.requireVerifiedEmail && !identity.emailVerified) {
    return refuse(
      'unverified_email',
      'The upstream has not verified the email (email_verified is not true).',
    );
  }
  if (!isAllowedEmailDomain(identity.email, auto.allowedEmailDomains)) {
    const domain = emailDomain(identity.email) ?? `"${identity.email}" (not one address)`;
    return refuse(
      'domain_not_allowed',
      `${domain} is not one of the allowed domains (${auto.allowedEmailDomains.join(', ')}).`,
    );
  }
  const existing = await deps.userManager.findByEmail(identity.email);
  if (existing?.status === 'disabled') return refuse('disabled', `${existing.email} exists but is disabled.`);
  const otherWayIn =
    existing !== undefined &&
    (existing.hasPassword || (await deps.links.listForUser(existing.id)).length > 0);
  const decision = autoLinkDecision(provider, existing, otherWayIn);
  if (decision && !decision.ok && decision.reason !== 'confirm_link') {
    return refuse(decision.reason, `Link mode ${auto.mode} does not allow it.`);
  }
  if (existing) {
    const invited = existing.status === 'invited' ? ' and accept their invitation' : '';
    const proof = decision ? " once its owner proves it with the account's password" : '';
    return {
      outcome: 'link',
      user: existing,
      reason: `It would link to ${existing.email}, the account with the same email${invited}${proof}.`,
    };
  }
  const groups = [...auto.defaultUserGroups];
  return {
    outcome: 'create',
    email: identity.email,
    name: identity.name ?? '',
    groups,
    reason: `No account has this email: a new one would be created${groups.length ? ` in ${groups.join(', ')}` : ' with no groups'}.`,
  };
}

function refuse(refusal: string, reason: string): SignInPreview {
  return { outcome: 'refuse', refusal, reason };
}
