import { type Wording, wording } from '../i18n/wording.ts';
import type { Logger } from '../operations/logger.ts';
import type { User } from '../users/user.ts';
import type { UserManager } from '../users/user-manager.ts';
import type { ExternalGroupStore } from './external-group-store.ts';
import type { ExternalProvider } from './external-provider.ts';
import type { GroupMapping } from './provider-schema.ts';

const GRAPH_TIMEOUT_MS = 5000;

/** Every value of a claim as text: a list, or one string, number or boolean. */
function valuesOf(claim: unknown): string[] {
  const list = Array.isArray(claim) ? claim : claim === undefined || claim === null ? [] : [claim];
  return list.filter((v) => ['string', 'number', 'boolean'].includes(typeof v)).map(String);
}

function matches(mapping: GroupMapping, value: string): boolean {
  if (mapping.value !== undefined) return value === mapping.value;
  return new RegExp(`^(?:${mapping.pattern})$`).test(value);
}

/** The Gatehouse groups an upstream's claims map to. */
export function mappedGroups(mappings: GroupMapping[], claims: Record<string, unknown>): string[] {
  const groups = mappings
    .filter((m) => valuesOf(claims[m.claim]).some((v) => matches(m, v)))
    .map((m) => m.group.trim());
  return [...new Set(groups)].sort();
}

/** Entra's overage: too many groups for the token, so `_claim_names` points elsewhere for them. */
export function hasGroupOverage(claims: Record<string, unknown>): boolean {
  const names = claims._claim_names as Record<string, unknown> | undefined;
  return typeof names === 'object' && names !== null && 'groups' in names && !Array.isArray(claims.groups);
}

export class GroupOverage extends Error {
  override name = 'GroupOverage';

  readonly wording: Wording;

  constructor(wording: Wording) {
    super(wording.message);
    this.wording = wording;
  }
}

/**
 * Claim → group mappers, applied at every sign-in (and every re-check): groups an upstream asserts
 * are added; groups it gave before and no longer asserts are removed; groups an admin gave stay.
 */
export class UpstreamGroupSync {
  readonly #store: ExternalGroupStore;
  readonly #userManager: UserManager;
  readonly #logger: Logger;

  constructor(store: ExternalGroupStore, userManager: UserManager, logger: Logger) {
    this.#store = store;
    this.#userManager = userManager;
    this.#logger = logger;
  }

  /** Throws GroupOverage when the groups cannot be known (overage without Graph). */
  async apply(
    user: User,
    provider: ExternalProvider,
    claims: Record<string, unknown>,
    accessToken?: string,
  ): Promise<User> {
    const mappings = provider.options.groupMappings;
    if (mappings.length === 0) return user;
    const complete = await this.#withOverageResolved(provider, claims, accessToken);
    const asserted = mappedGroups(mappings, complete);
    const before = await this.#store.granted(user.id, provider.alias);
    const others = await this.#store.granted(user.id, provider.alias, 'others');
    const stale = before.filter((g) => !asserted.includes(g) && !others.includes(g));
    // Only groups this provider added are its own; one an admin had already given stays the admin's.
    const own = asserted.filter((g) => before.includes(g) || !user.groups.includes(g));
    const groups = [...new Set([...user.groups.filter((g) => !stale.includes(g)), ...asserted])].sort();
    await this.#store.replace(user.id, provider.alias, own);
    if (groups.join('\n') === [...user.groups].sort().join('\n')) return user;
    this.#logger.info(
      { alias: provider.alias, userId: user.id, added: asserted, removed: stale },
      'upstream groups mapped',
    );
    return this.#userManager.updateUser(user.id, { groups });
  }

  async #withOverageResolved(
    provider: ExternalProvider,
    claims: Record<string, unknown>,
    accessToken: string | undefined,
  ): Promise<Record<string, unknown>> {
    if (!hasGroupOverage(claims) || !provider.options.groupMappings.some((m) => m.claim === 'groups'))
      return claims;
    if (provider.options.groupOverage !== 'graph' || !accessToken) {
      throw new GroupOverage(wording('external.refused.groupOverage', { provider: provider.displayName }));
    }
    return { ...claims, groups: await this.#graphGroups(provider, accessToken) };
  }

  /** Microsoft Graph's documented follow-up: POST /v1.0/me/getMemberObjects. */
  async #graphGroups(provider: ExternalProvider, accessToken: string): Promise<string[]> {
    const url = `${provider.options.graphEndpoint.replace(/\/+$/, '')}/v1.0/me/getMemberObjects`;
    const response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ securityEnabledOnly: false }),
      signal: AbortSignal.timeout(GRAPH_TIMEOUT_MS),
    }).catch(() => undefined);
    const body = response?.ok ? ((await response.json()) as { value?: unknown }) : undefined;
    if (!Array.isArray(body?.value)) {
      this.#logger.warn(
        { alias: provider.alias, status: response?.status },
        'Microsoft Graph group lookup failed',
      );
      throw new GroupOverage(
        wording('external.refused.groupsUnreadable', { provider: provider.displayName }),
      );
    }
    return body.value.filter((v): v is string => typeof v === 'string');
  }
}
