import * as oidc from 'openid-client';
import { type Wording, wording } from '../i18n/wording.ts';
import type { ExternalProvider } from './external-provider.ts';
import { isInvalidClient, isInvalidGrant, type UpstreamConfigurations } from './upstream-configurations.ts';

/** What the admin's "test" button learnt of Gatehouse's client credentials at the upstream. */
export interface CredentialsReport extends Wording {
  /** true: accepted; false: refused (invalid_client); undefined: the answer says nothing of them. */
  ok: boolean | undefined;
  tokenEndpointAuthMethod?: string | undefined;
}

/** A code no upstream ever issued: only the credentials that come with it can be judged. */
const MADE_UP_CODE = 'gatehouse-credentials-check';

/**
 * Tries Gatehouse's client credentials at the upstream's token endpoint with a made-up code, as a
 * sign-in would redeem one: an upstream answers `invalid_client` when the credentials (or the auth
 * method) are wrong, and `invalid_grant` — only the code is wrong — when they are right. A refusal
 * is logged as a credentials problem, as it is at a real sign-in.
 */
export async function checkCredentials(
  provider: ExternalProvider,
  configurations: UpstreamConfigurations,
  redirectUri: string,
): Promise<CredentialsReport> {
  let config: oidc.Configuration;
  try {
    config = await configurations.get(provider);
  } catch {
    return { ok: undefined, ...wording('admin.credentials.unreachable') };
  }
  const method = await configurations.method(provider);
  try {
    await oidc.genericGrantRequest(config, 'authorization_code', {
      code: MADE_UP_CODE,
      redirect_uri: redirectUri,
    });
    return { ok: undefined, ...wording('admin.credentials.madeUpAccepted') };
  } catch (error) {
    if (isInvalidClient(error)) {
      await configurations.reportTokenError(provider, error).catch(() => undefined);
      return {
        ok: false,
        tokenEndpointAuthMethod: method,
        ...wording('admin.credentials.refused', { provider: provider.displayName, method }),
      };
    }
    if (isInvalidGrant(error)) {
      return {
        ok: true,
        tokenEndpointAuthMethod: method,
        ...wording('admin.credentials.accepted', { method }),
      };
    }
    return {
      ok: undefined,
      tokenEndpointAuthMethod: method,
      ...wording('admin.credentials.otherAnswer', { answer: String(error) }),
    };
  }
}
