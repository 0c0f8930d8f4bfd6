import { type Wording, wording } from '../i18n/wording.ts';
import type { User } from '../users/user.ts';
import type { UserManager } from '../users/user-manager.ts';
import { autoLinkDecision, hasOtherWayIn } from './auto-link-policy.ts';
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
  if (link) return previewLinked(await deps.userManager.findById(link.userId), provider);
  const matched = addressToMatch(provider, identity);
  if ('outcome' in matched) return matched;
  const existing = await deps.userManager.findByEmail(matched.email);
  if (existing?.status === 'disabled') {
    return refuse('disabled', wording('admin.dryRun.existsDisabled', { email: existing.email }));
  }
  const decision = autoLinkDecision(provider, existing, await hasOtherWayIn(deps.links, existing));
  if (decision && !decision.ok && decision.reason !== 'confirm_link') {
    const mode = provider.options.autoLink.mode;
    return refuse(decision.reason, wording('admin.dryRun.modeForbids', { mode }));
  }
  if (existing) {
    const values = {
      email: existing.email,
      invited: existing.status === 'invited' ? 'yes' : 'no',
      proof: decision ? 'yes' : 'no',
    };
    return { outcome: 'link', user: existing, reason: wording('admin.dryRun.wouldLink', values) };
  }
  return previewCreate(provider, matched.email, identity.name ?? '');
}

/** An identity already linked signs in to its account, unless that account is not active. */
function previewLinked(user: User | undefined, provider: ExternalProvider): SignInPreview {
  if (user?.status !== 'active') return refuse('disabled', wording('admin.dryRun.linkedInactive'));
  const reason = wording('admin.dryRun.alreadyLinked', { provider: provider.displayName });
  return { outcome: 'sign_in', user, reason };
}

/** The address auto-linking would match accounts by, or why auto-linking does not get that far. */
function addressToMatch(
  provider: ExternalProvider,
  identity: PreviewIdentity,
): { email: string } | SignInPreview {
  const auto = provider.options.autoLink;
  if (auto.mode === 'never') return refuse('not_linked', wording('admin.dryRun.autoLinkOff'));
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
  return { email: identity.email };
}

function previewCreate(provider: ExternalProvider, email: string, name: string): SignInPreview {
  const groups = [...provider.options.autoLink.defaultUserGroups];
  return {
    outcome: 'create',
    email,
    name,
    groups,
    reason: groups.length
      ? wording('admin.dryRun.wouldCreateIn', { groups: groups.join(', ') })
      : wording('admin.dryRun.wouldCreate'),
  };
}

function refuse(refusal: string, reason: Wording): SignInPreview {
  return { outcome: 'refuse', refusal, reason };
}
