import { AppError } from '../errors/app-error.ts';
import { wording } from '../i18n/wording.ts';
import type { NotificationBus } from '../notifications/notification-bus.ts';
import type { Actor } from '../notifications/notification-types.ts';
import type { User } from '../users/user.ts';
import type { UserManager } from '../users/user-manager.ts';
import {
  autoLinkDecision,
  type ExternalSignIn,
  hasOtherWayIn,
  notLinked,
  refusal,
} from './auto-link-policy.ts';
import { emailDomain, isAllowedEmailDomain } from './email-domain.ts';
import type { ExternalLoginStore } from './external-login-store.ts';
import type { ExternalProvider } from './external-provider.ts';
import type { UpstreamIdentity } from './upstream-identity.ts';

/** What resolving an identity and attaching a link need of ExternalLoginService's deps. */
export interface ResolutionDeps {
  links: ExternalLoginStore;
  userManager: UserManager;
  notifications: NotificationBus;
}

/**
 * Which local account an upstream identity is: an existing link, else auto-link by verified email
 * or auto-create (with the `ExternalLoginAutoLinking` handlers' say), else a refusal that says why.
 */
export async function resolveAccount(
  deps: ResolutionDeps,
  provider: ExternalProvider,
  identity: UpstreamIdentity,
  actor?: Actor,
): Promise<ExternalSignIn> {
  const manager = deps.userManager;
  const link = await deps.links.find(provider.alias, identity.sub);
  if (link) {
    const user = await manager.findById(link.userId);
    if (user?.status === 'active') return { ok: true, user };
    return refusal('disabled', wording('signIn.refused.disabled'));
  }
  const auto = provider.options.autoLink;
  if (auto.mode === 'never' || !identity.email) return notLinked(provider);
  if (auto.requireVerifiedEmail && !identity.emailVerified) {
    const values = { provider: provider.displayName };
    return refusal('unverified_email', wording('external.refused.emailUnverified', values));
  }
  if (!isAllowedEmailDomain(identity.email, auto.allowedEmailDomains)) {
    const domain = emailDomain(identity.email) ?? identity.email;
    return refusal('domain_not_allowed', wording('signIn.refused.domainNotAllowed', { domain }));
  }
  const existing = await manager.findByEmail(identity.email);
  const checked = autoLinkDecision(provider, existing, await hasOtherWayIn(deps.links, existing));
  if (checked) return checked;
  return autoLink(deps, provider, identity, identity.email, existing, actor);
}

async function autoLink(
  deps: ResolutionDeps,
  provider: ExternalProvider,
  identity: UpstreamIdentity,
  email: string,
  existing: User | undefined,
  actor?: Actor,
): Promise<ExternalSignIn> {
  const manager = deps.userManager;
  let refusedReason: string | undefined;
  const draft = {
    email,
    name: identity.name ?? '',
    groups: [...provider.options.autoLink.defaultUserGroups],
  };
  await deps.notifications.publish(
    'ExternalLoginAutoLinking',
    { affectedUserId: existing?.id, actor },
    {
      providerAlias: provider.alias,
      claims: identity.claims,
      existingUserId: existing?.id,
      user: draft,
      get refusedReason() {
        return refusedReason;
      },
      refuse(reason: string) {
        refusedReason = reason;
      },
    },
  );
  // A handler's own reason is shown as it wrote it.
  if (refusedReason) return refusal('refused', { message: refusedReason });
  let user = existing ?? (await manager.createUser({ ...draft, status: 'active', emailVerified: true }));
  if (user.status === 'invited') user = await manager.acceptInvitation(user.id, { actor });
  await attachLink(deps, user, provider, identity, actor);
  return { ok: true, user };
}

export async function attachLink(
  deps: ResolutionDeps,
  user: User,
  provider: ExternalProvider,
  identity: UpstreamIdentity,
  actor?: Actor,
): Promise<void> {
  if (!(await deps.links.link(provider.alias, identity.sub, user.id, identity.email))) {
    throw alreadyLinked(provider);
  }
  await publishLinked(deps, user, provider, actor);
}

export async function publishLinked(
  deps: ResolutionDeps,
  user: User,
  provider: ExternalProvider,
  actor?: Actor,
): Promise<void> {
  await deps.notifications.publish(
    'ExternalLoginLinked',
    { affectedUserId: user.id, actor },
    { providerAlias: provider.alias },
  );
}

export function alreadyLinked(provider: ExternalProvider): AppError {
  return AppError.keyed('invalid_input', 'external.alreadyLinked', { provider: provider.displayName });
}
