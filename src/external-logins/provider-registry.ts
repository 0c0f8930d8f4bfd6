import { createPrivateKey } from 'node:crypto';
import { AppError } from '../errors/app-error.ts';
import { type Wording, wording } from '../i18n/wording.ts';
import { emailDomain } from './email-domain.ts';
import type { ExternalProvider, ExternalProviderInput } from './external-provider.ts';
import { normaliseOptions, providerInputSchema } from './external-provider.ts';
import type { ExternalProviderStore } from './external-provider-store.ts';
import { applyPreset } from './provider-presets.ts';

/**
 * Every upstream provider Gatehouse knows: those declared in code (`GATEHOUSE_EXTENSIONS`) and those
 * in the database (`gatehouse provider …`). Code wins on an alias clash; the CLI cannot edit them.
 */
export class ProviderRegistry {
  readonly #store: ExternalProviderStore;
  readonly #declared: ExternalProvider[];
  readonly #allowHttp: boolean;
  readonly #denyDomains: readonly string[];

  constructor(
    store: ExternalProviderStore,
    declared: ExternalProviderInput[],
    options: { allowHttp: boolean; denyLocalLoginDomains?: readonly string[] },
  ) {
    this.#store = store;
    this.#allowHttp = options.allowHttp;
    this.#denyDomains = options.denyLocalLoginDomains ?? [];
    this.#declared = declared.map((input) => ({ ...this.#validate(input), source: 'code' }));
  }

  async list(): Promise<ExternalProvider[]> {
    const stored = (await this.#store.list()).filter((p) => !this.#declared.some((d) => d.alias === p.alias));
    return [...this.#declared, ...stored].sort(
      (a, b) => a.sortOrder - b.sortOrder || a.alias.localeCompare(b.alias),
    );
  }

  async find(alias: string): Promise<ExternalProvider | undefined> {
    return this.#declared.find((p) => p.alias === alias) ?? (await this.#store.find(alias));
  }

  async require(alias: string): Promise<ExternalProvider> {
    const provider = await this.find(alias);
    if (!provider) throw AppError.keyed('not_found', 'provider.notFound', { alias });
    return provider;
  }

  /**
   * DenyLocalLogin for everyone: set by any one provider, it turns local passwords off for all —
   * unless DENY_LOCAL_LOGIN_DOMAINS scopes it to some domains, when no route is closed wholesale and
   * the sign-in pipeline asks `denyLocalLoginFor` of the account.
   */
  async denyLocalLogin(): Promise<boolean> {
    if (this.#denyDomains.length > 0) return false;
    return (await this.list()).some((p) => p.options.denyLocalLogin);
  }

  /** Whether the owner of `email` must sign in upstream (users of @contoso.com use Entra). */
  async denyLocalLoginFor(email: string): Promise<boolean> {
    if (this.#denyDomains.length === 0) return this.denyLocalLogin();
    const domain = emailDomain(email);
    return domain === undefined || this.#denyDomains.includes(domain);
  }

  async create(input: ExternalProviderInput): Promise<ExternalProvider> {
    const provider = await this.draft(input);
    await this.#store.upsert(provider);
    return provider;
  }

  /** The provider `create` would store, checked but not stored: to ask the upstream about it first. */
  async draft(input: ExternalProviderInput): Promise<ExternalProvider> {
    const provider: ExternalProvider = { ...this.#validate(input), source: 'database' };
    if (await this.find(provider.alias))
      throw AppError.keyed('conflict', 'provider.exists', { alias: provider.alias });
    return provider;
  }

  /**
   * Replaces a stored provider's settings; `changes` is merged over what is stored, `autoLink` one
   * level deeper, so that changing one auto-link option keeps the others.
   */
  async update(alias: string, changes: Partial<ExternalProviderInput>): Promise<ExternalProvider> {
    const current = await this.require(alias);
    if (current.source === 'code') throw AppError.keyed('forbidden', 'provider.codeCannotChange', { alias });
    const autoLink = { ...current.options.autoLink, ...changes.options?.autoLink };
    const switched = changes.options?.autoLink?.autoLinkExternalAccount;
    // The older switch alone names a mode too: `--auto-link` on a provider whose mode is `never`.
    if (switched !== undefined && changes.options?.autoLink?.mode === undefined)
      autoLink.mode = switched ? 'link-and-create' : 'never';
    const oauth2 = current.options.oauth2 && { ...current.options.oauth2, ...changes.options?.oauth2 };
    const options = { ...current.options, ...changes.options, autoLink, ...(oauth2 ? { oauth2 } : {}) };
    const merged = { ...current, ...changes, options, alias };
    const provider: ExternalProvider = { ...this.#validate(merged), source: 'database' };
    await this.#store.upsert(provider);
    return provider;
  }

  /** Removes the provider; its users' links stay and come back if the alias is added again. */
  async delete(alias: string): Promise<void> {
    const current = await this.require(alias);
    if (current.source === 'code') throw AppError.keyed('forbidden', 'provider.codeCannotRemove', { alias });
    await this.#store.delete(alias);
  }

  #validate(input: ExternalProviderInput): Omit<ExternalProvider, 'source'> {
    const withPreset = applyPreset(input);
    if (typeof withPreset === 'string')
      throw new AppError('invalid_input', `Invalid provider: ${withPreset}`);
    const parsed = providerInputSchema.safeParse(withPreset);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AppError(
        'invalid_input',
        `Invalid provider: ${issue?.path.join('.') || 'input'} ${issue?.message ?? ''}`.trim(),
      );
    }
    const p = parsed.data;
    const problem = this.#problemOf(p);
    if (problem) throw AppError.worded('invalid_input', problem);
    return {
      alias: p.alias,
      kind: p.kind,
      displayName: p.displayName ?? p.alias,
      issuer: p.issuer,
      clientId: p.clientId,
      clientSecret: p.clientSecret,
      clientPrivateKey: p.clientPrivateKey,
      scopes: p.scopes,
      sortOrder: p.sortOrder,
      options: normaliseOptions(p.options),
    };
  }

  /** Rules that span several fields; undefined when the provider is consistent. */
  #problemOf(p: ReturnType<typeof providerInputSchema.parse>): Wording | undefined {
    const urls = [p.issuer, ...Object.values(p.options.oauth2 ?? {})].filter((v) => v.startsWith('http'));
    if (urls.some((u) => u.startsWith('http://')) && !this.#allowHttp) return wording('provider.httpsIssuer');
    if (p.kind === 'oidc' && !p.scopes.includes('openid')) return wording('provider.openidScope');
    if (p.kind === 'oauth2' && !p.options.oauth2) return wording('provider.oauth2Endpoints');
    if (p.clientPrivateKey && !isPrivateKey(p.clientPrivateKey)) return wording('provider.privateKeyPem');
    const method = p.options.tokenEndpointAuthMethod;
    if (method === 'private_key_jwt' && !p.clientPrivateKey) return wording('provider.privateKeyJwtNeedsKey');
    if (method !== 'private_key_jwt' && !p.clientPrivateKey && !p.clientSecret)
      return wording('provider.secretNeeded');
    return undefined;
  }
}

function isPrivateKey(pem: string): boolean {
  try {
    return ['rsa', 'ec'].includes(createPrivateKey(pem).asymmetricKeyType ?? '');
  } catch {
    return false;
  }
}
