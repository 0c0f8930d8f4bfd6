import type { DiscoveryReport } from '../external-logins/discovery-check.ts';
import { fields } from './output.ts';

/** What the upstream's discovery document offers, as `provider create` and `doctor` print it. */
export function discoveryLines(r: DiscoveryReport): string[] {
  const header = r.discoveryUrl
    ? `Discovery (${r.discoveryUrl}):`
    : 'Endpoints (plain OAuth2, no discovery):';
  const method = r.tokenEndpointAuthMethod ?? '-';
  return [
    header,
    fields([
      ['  authorization', r.authorizationEndpoint ?? '-'],
      ['  token', r.tokenEndpoint ?? '-'],
      ['  userinfo', r.userinfoEndpoint ?? '-'],
      ...(r.discoveryUrl
        ? ([
            ['  keys (JWKS)', r.jwksUri ?? '-'],
            ['  end-session', r.endSessionEndpoint ?? 'none: signing out stays at Gatehouse'],
            ['  back-channel logout', r.backchannelLogoutSupported ? 'supported' : 'not supported'],
            ['  front-channel logout', r.frontchannelLogoutSupported ? 'supported' : 'not supported'],
            ['  ID token algs', r.idTokenSigningAlgs.length ? r.idTokenSigningAlgs.join(' ') : '-'],
          ] as Array<[string, string]>)
        : []),
      ['  client auth', r.authMethodSupported ? method : `${method} (the upstream does not list it)`],
    ]),
  ];
}
