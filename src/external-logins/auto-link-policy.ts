import { type Wording, wording } from '../i18n/wording.ts';
import type { User } from '../users/user.ts';
import type { ExternalLoginStore } from './external-login-store.ts';
import type { ExternalProvider } from './external-provider.ts';

export type SignInRefusal =
  | 'not_linked'
  | 'unverified_email'
  | 'domain_not_allowed'
  | 'disabled'
  | 'refused'
  | 'protected_account'
  | 'group_overage';
export type ExternalSignIn =
  | { ok: true; user: User }
  | ({ ok: false; reason: SignInRefusal } & Wording)
  /** The identity matches an account that has another way in: its owner must prove it first. */
  | ({ ok: false; reason: 'confirm_link'; user: User } & Wording);

/**
 * What auto-linking may do with the account an upstream address matches: the mode decides whether
 * an existing account may be linked or a new one created; an account in a protected group, or one
 * with another way in, is linked only once its owner proves it (unless the provider may link
 * silently, which never covers protected groups). Undefined: go ahead.
 */
export function autoLinkDecision(
  provider: ExternalProvider,
  existing: User | undefined,
  otherWayIn: boolean,
): ExternalSignIn | undefined {
  const auto = provider.options.autoLink;
  if (!existing) return auto.mode === 'link-only' ? notLinked(provider) : undefined;
  if (auto.mode === 'create-only') return notLinked(provider);
  if (existing.status === 'disabled') return refusal('disabled', wording('signIn.refused.disabled'));
  const isProtected = existing.groups.some((g) => auto.protectedGroups.includes(g));
  if (!isProtected && (auto.linkSilently || !otherWayIn)) return undefined;
  return {
    ok: false,
    reason: 'confirm_link',
    user: existing,
    ...wording('external.refused.confirmLink', { email: existing.email, provider: provider.displayName }),
  };
}

/** Whether the matched account has another way in already (a password or a link): see above. */
export async function hasOtherWayIn(
  links: Pick<ExternalLoginStore, 'listForUser'>,
  existing: User | undefined,
): Promise<boolean> {
  return (
    existing !== undefined && (existing.hasPassword || (await links.listForUser(existing.id)).length > 0)
  );
}

export function notLinked(provider: ExternalProvider): ExternalSignIn {
  return refusal('not_linked', wording('external.refused.notLinked', { provider: provider.displayName }));
}

export function refusal(reason: SignInRefusal, w: Wording): ExternalSignIn {
  return { ok: false, reason, ...w };
}
