import type { ClientMetadata } from 'oidc-provider';
import { type Wording, wording } from '../i18n/wording.ts';

/*
 * Rules for the URIs an application registers to be sent back to. oidc-provider compares redirect
 * URIs as exact strings, so `https://*.example.com/cb` would be stored as a literal that never
 * matches, and an operator who typed it believes every subdomain is allowed. The CLI, the admin API
 * and the console register clients through ClientService, which asks this one function.
 */

/** Grants under which Gatehouse sends a browser back to the application. */
const BROWSER_GRANTS = ['authorization_code', 'implicit'];

/** The first thing wrong with the client's redirect and post-logout URIs, as one sentence. */
export function redirectUrisProblem(metadata: ClientMetadata): Wording | undefined {
  const redirects = metadata.redirect_uris ?? [];
  const postLogout = metadata.post_logout_redirect_uris ?? [];
  for (const uri of [...redirects, ...postLogout]) {
    if (uri.includes('*')) {
      return wording('client.redirectWildcard', { uri });
    }
  }
  const grants = (metadata.grant_types as string[] | undefined) ?? ['authorization_code'];
  if (redirects.length > 0 && !grants.some((g) => BROWSER_GRANTS.includes(g))) {
    return wording('client.redirectWithoutBrowserGrant', { grants: grants.join(', ') });
  }
  return undefined;
}
