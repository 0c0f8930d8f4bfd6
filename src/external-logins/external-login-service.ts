import { AppError } from '../errors/app-error.ts';
import { wording } from '../i18n/wording.ts';
import type { NotificationBus } from '../notifications/notification-bus.ts';
import type { Actor } from '../notifications/notification-types.ts';
import type { InvitationService } from '../users/invitations.ts';
import type { User } from '../users/user.ts';
import type { UserManager } from '../users/user-manager.ts';
import { alreadyLinked, attachLink, publishLinked, resolveAccount } from './account-resolution.ts';
import { type ExternalSignIn, refusal } from './auto-link-policy.ts';
import type { ExternalLogin, ExternalLoginStore } from './external-login-store.ts';
import type { ExternalProvider } from './external-provider.ts';
import { GroupOverage, type UpstreamGroupSync } from './group-mapping.ts';
import type { ProviderRegistry } from './provider-registry.ts';
import { type PreviewIdentity, previewSignIn, type SignInPreview } from './sign-in-preview.ts';
import type { UpstreamIdentity } from './upstream-identity.ts';

export type { ExternalSignIn, SignInRefusal } from './auto-link-policy.ts';
export type { UpstreamIdentity } from './upstream-identity.ts';

export interface ExternalLoginDeps {
  links: ExternalLoginStore;
  registry: ProviderRegistry;
  userManager: UserManager;
  invitations: InvitationService;
  notifications: NotificationBus;
  groups: UpstreamGroupSync;
}

/**
 * Umbraco's external login handling: resolves an upstream identity to a local account (existing
 * link → auto-link by verified email → auto-create → a clear refusal), and links and unlinks
 * providers on a user's request, never leaving an account without a way to sign in.
 */
export class ExternalLoginService {
  readonly #deps: ExternalLoginDeps;

  constructor(deps: ExternalLoginDeps) {
    this.#deps = deps;
  }

  /**
   * Resolves the upstream identity to a local account (link, auto-link, auto-create). Whether it
   * may sign in (`ExternalLogin` handlers, account state, second factor) is the sign-in
   * pipeline's decision. `accessToken` lets group mapping follow Entra's overage to Microsoft Graph.
   */
  async signIn(
    provider: ExternalProvider,
    identity: UpstreamIdentity,
    actor?: Actor,
    accessToken?: string,
  ): Promise<ExternalSignIn> {
    const resolved = await resolveAccount(this.#deps, provider, identity, actor);
    if (!resolved.ok) return resolved;
    let user =
      provider.options.syncProfile === 'force'
        ? await this.#syncProfile(resolved.user, identity)
        : resolved.user;
    try {
      user = await this.#deps.groups.apply(user, provider, identity.claims, accessToken);
    } catch (error) {
      if (error instanceof GroupOverage) return refusal('group_overage', error.wording);
      throw error;
    }
    await this.#deps.links.touch(provider.alias, identity.sub);
    return { ok: true, user };
  }

  /** Attaches an upstream identity to the signed-in user (account page). */
  async link(
    user: User,
    provider: ExternalProvider,
    identity: UpstreamIdentity,
    actor?: Actor,
  ): Promise<void> {
    if (!provider.options.allowManualLinking)
      throw AppError.keyed('invalid_input', 'external.linkingOff', { provider: provider.displayName });
    const existing = await this.#deps.links.find(provider.alias, identity.sub);
    if (existing && existing.userId !== user.id) throw alreadyLinked(provider);
    if (!existing) await attachLink(this.#deps, user, provider, identity, actor);
  }

  /** DenyLocalLogin as it applies to this account (everyone, or its email domain). */
  passwordsDeniedFor(email: string): Promise<boolean> {
    return this.#deps.registry.denyLocalLoginFor(email);
  }

  /** Umbraco's PostUnLinkLogin, refusing to remove the last way to sign in. */
  async unlink(user: User, providerAlias: string, subject: string, actor?: Actor): Promise<void> {
    const provider = await this.#deps.registry.find(providerAlias);
    if (provider && !provider.options.allowManualLinking) {
      throw AppError.keyed('invalid_input', 'external.unlinkingOff', { provider: provider.displayName });
    }
    const links = await this.linksOf(user);
    if (!links.some((l) => l.providerAlias === providerAlias && l.subject === subject)) {
      throw AppError.keyed('not_found', 'external.notLinkedToYou');
    }
    const passwordUsable = user.hasPassword && !(await this.#deps.registry.denyLocalLoginFor(user.email));
    const others = links.filter((l) => l.providerAlias !== providerAlias || l.subject !== subject);
    if (!passwordUsable && others.length === 0) {
      throw AppError.keyed('invalid_input', 'external.onlyWayIn');
    }
    await this.#deps.links.unlink(providerAlias, subject, user.id);
    await this.#deps.notifications.publish(
      'ExternalLoginUnlinked',
      { affectedUserId: user.id, actor },
      { providerAlias },
    );
  }

  /**
   * An administrator removes a link: allowed even where users may not unlink themselves, and even
   * the last one (the admin can invite the user again or set a password).
   */
  async removeLink(userId: string, providerAlias: string, subject: string, actor?: Actor): Promise<void> {
    if (!(await this.#deps.links.unlink(providerAlias, subject, userId))) {
      throw AppError.keyed('not_found', 'external.notLinkedToUser');
    }
    await this.#deps.notifications.publish(
      'ExternalLoginUnlinked',
      { affectedUserId: userId, actor },
      { providerAlias },
    );
  }

  /** The auto-link dry run: where this identity's sign-in would land, with nothing written. */
  preview(provider: ExternalProvider, identity: PreviewIdentity): Promise<SignInPreview> {
    return previewSignIn(this.#deps, provider, identity);
  }

  /** Links whose provider still exists (a removed provider's links are kept, but detached). */
  async linksOf(user: User): Promise<ExternalLogin[]> {
    const aliases = new Set((await this.#deps.registry.list()).map((p) => p.alias));
    return (await this.#deps.links.listForUser(user.id)).filter((l) => aliases.has(l.providerAlias));
  }

  /** Every link, detached ones included (for admins). */
  allLinksOf(userId: string): Promise<ExternalLogin[]> {
    return this.#deps.links.listForUser(userId);
  }

  /**
   * An invitee chose to sign in with an upstream provider: the link, the used-up invitation and
   * the approval are one transaction, so a link that cannot be made leaves the invitation as it was.
   */
  async acceptInvitation(
    inviteToken: string,
    provider: ExternalProvider,
    identity: UpstreamIdentity,
    actor?: Actor,
  ): Promise<User> {
    const invited = await this.#deps.invitations.verify(inviteToken);
    const existing = await this.#deps.links.find(provider.alias, identity.sub);
    if (existing && existing.userId !== invited.id) throw alreadyLinked(provider);
    const user = await this.#deps.invitations.accept(inviteToken, {
      actor,
      alsoWrite: async (trx, invitee) => {
        if (existing) return;
        const links = this.#deps.links.withTransaction(trx);
        if (!(await links.link(provider.alias, identity.sub, invitee.id, identity.email)))
          throw alreadyLinked(provider);
      },
    });
    if (!existing) await publishLinked(this.#deps, user, provider, actor);
    return user;
  }

  /**
   * The sign-in pipeline's last step for a confirmed link: the provider by its alias (it may have
   * been removed while the second factor was asked), then `confirmLink`.
   */
  async completeLink(
    user: User,
    providerAlias: string,
    identity: UpstreamIdentity,
    actor?: Actor,
  ): Promise<ExternalSignIn> {
    const provider = await this.#deps.registry.find(providerAlias);
    if (!provider) return refusal('refused', wording('external.refused.providerGone'));
    return this.confirmLink(user, provider, identity, actor);
  }

  /** The owner proved the account is theirs (password and the usual second factor): link it now. */
  async confirmLink(
    user: User,
    provider: ExternalProvider,
    identity: UpstreamIdentity,
    actor?: Actor,
  ): Promise<ExternalSignIn> {
    if (user.status !== 'active') return refusal('disabled', wording('signIn.refused.disabled'));
    const existing = await this.#deps.links.find(provider.alias, identity.sub);
    if (!existing) await attachLink(this.#deps, user, provider, identity, actor);
    else if (existing.userId !== user.id) throw alreadyLinked(provider);
    return this.signIn(provider, identity, actor);
  }

  /** `syncProfile: force`: the upstream is the source of truth for name and email. */
  async #syncProfile(user: User, identity: UpstreamIdentity): Promise<User> {
    const name = identity.name ?? user.name;
    const email = identity.email ?? user.email;
    if (name === user.name && email.toLowerCase() === user.email.toLowerCase()) return user;
    try {
      return await this.#deps.userManager.updateUser(user.id, { name, email });
    } catch (error) {
      // Another account already has the upstream's address: keep ours rather than fail the sign-in.
      if (error instanceof AppError && error.code === 'email_taken') return user;
      throw error;
    }
  }
}
