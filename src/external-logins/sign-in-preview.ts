import { type Wording, wording } from '../i18n/wording.ts';
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

/**
 * What an upstream sign-in would do, decided by the same rules as the sign-in, writing nothing;
 * `reason` says why (English for the API, translated on the console).
 */
export type SignInPreview =
  | { outcome: 'sign_in'; user: User; reason: Wording }
  | { outcome: 'link'; user: User; reason: Wording }
  | { outcome: 'create'; email: string; name: string; groups: string[]; reason: Wording }
  | { outcome: 'refuse'; refusal: string; reason: Wording };

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
      const reason = wording('admin.dryRun.alreadyLinked', { provider: provider.displayName });
      return { outcome: 'sign_in', user, reason };
    }
    return refuse('disabled', wording('admin.dryRun.linkedInactive'));
  }
  const auto = provider.options.autoLink;
  if (auto.mode === 'never') {
    return refuse('not_linked', wording('admin.dryRun.autoLinkOff'));
  }
  if (!identity.email) return refuse('not_linked', wording('admin.dryRun.noEmail'));
  if (auto.requireVerifiedEmail && !identity.emailVerified) {
    return refuse('unverified_email', wording('admin.dryRun.unverified'));
  }
  if (!isAllowedEmailDomain(identity.email, auto.allowedEmailDomains)) {
    const allowed = auto.allowedEmailDomains.join(', ');
    const domain = emailDomain(identity.email);
    return domain
      ? refuse('domain_not_allowed', wording('admin.dryRun.domainNotAllowed', { domain, allowed }))
      : refuse(
          'domain_not_allowed',
          wording('admin.dryRun.notOneAddress', { email: identity.email, allowed }),
        );
  }
  const existing = await deps.userManager.findByEmail(identity.email);
  if (existing?.status === 'disabled') {
    return refuse('disabled', wording('admin.dryRun.existsDisabled', { email: existing.email }));
  }
  const otherWayIn =
    existing !== undefined &&
    (existing.hasPassword || (await deps.links.listForUser(existing.id)).length > 0);
  const decision = autoLinkDecision(provider, existing, otherWayIn);
  if (decision && !decision.ok && decision.reason !== 'confirm_link') {
    return refuse(decision.reason, wording('admin.dryRun.modeForbids', { mode: auto.mode }));
  }
  if (existing) {
    const values = {
      email: existing.email,
      invited: existing.status === 'invited' ? 'yes' : 'no',
      proof: decision ? 'yes' : 'no',
    };
    return { outcome: 'link', user: existing, reason: wording('admin.dryRun.wouldLink', values) };
  }
  const groups = [...auto.defaultUserGroups];
  return {
    outcome: 'create',
    email: identity.email,
    name: identity.name ?? '',
    groups,
    reason: groups.length
      ? wording('admin.dryRun.wouldCreateIn', { groups: groups.join(', ') })
      : wording('admin.dryRun.wouldCreate'),
  };
}

function refuse(refusal: string, reason: Wording): SignInPreview {
  return { outcome: 'refuse', refusal, reason };
}
