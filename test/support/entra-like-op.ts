import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { Browser, Page } from './browser.ts';
import { startUpstream, type UpstreamOp, type UpstreamUser } from './upstream-op.ts';

export interface EntraLikeOp extends UpstreamOp {
  /** Puts the user over Entra's group limit: the ID token names a Graph source instead of `groups`. */
  overage(sub: string, groups: string[]): void;
  /** What Entra does after its sign-out: loads each app's front-channel logout URL in the browser. */
  frontChannelLogout(browser: Browser, sub: string): Promise<Page[]>;
}

/**
 * An upstream that behaves like Microsoft Entra ID for a work account: no `email_verified` (the
 * optional `xms_edov` instead), `upn`, `preferred_username`, `login_hint`, `groups` as object ids
 * with overage through `_claim_names` on demand and a Graph `getMemberObjects` to follow, refresh
 * tokens (offline_access), and front-channel logout only (no back-channel registration).
 */
export async function startEntraLike(options: {
  gatehouseIssuer: string;
  alias: string;
  users: UpstreamUser[];
}): Promise<EntraLikeOp> {
  const memberOf = new Map<string, string[]>();
  const upstream = await startUpstream({
    ...options,
    users: options.users.map((u) => ({ login_hint: `O.hint-${u.sub}`, ...u })),
    scopeClaims: {
      email: ['email'],
      profile: ['name', 'preferred_username', 'upn', 'groups', 'roles', 'xms_edov', 'login_hint'],
      offline_access: [],
    },
    backchannel: false,
    extraRoutes: (req, res, provider) => graph(req, res, provider, memberOf),
  });
  return {
    ...upstream,
    overage(sub, groups) {
      const user = upstream.users.get(sub);
      if (!user) throw new Error(`no upstream user ${sub}`);
      memberOf.set(sub, groups);
      const { groups: _asserted, ...rest } = user;
      upstream.users.set(sub, {
        ...rest,
        _claim_names: { groups: 'src1' },
        _claim_sources: { src1: { endpoint: `${upstream.issuer}/v1.0/users/${sub}/getMemberObjects` } },
      });
    },
    async frontChannelLogout(browser, sub) {
      const pages: Page[] = [];
      for (const sid of upstream.sids.get(sub) ?? []) {
        const url = new URL(`${options.gatehouseIssuer}/external/${options.alias}/frontchannel-logout`);
        url.search = new URLSearchParams({ iss: upstream.issuer, sid }).toString();
        pages.push(await browser.visit(url.href));
      }
      upstream.sids.delete(sub);
      return pages;
    },
  };
}

/** Microsoft Graph's POST /v1.0/me/getMemberObjects, answered for the access token's user. */
async function graph(
  req: IncomingMessage,
  res: ServerResponse,
  provider: Provider,
  memberOf: Map<string, string[]>,
): Promise<boolean> {
  if (req.method !== 'POST' || req.url !== '/v1.0/me/getMemberObjects') return false;
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  const token = bearer ? await provider.AccessToken.find(bearer) : undefined;
  if (!token?.accountId) {
    res
      .writeHead(401, { 'content-type': 'application/json' })
      .end('{"error":{"code":"InvalidAuthenticationToken"}}');
    return true;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ value: memberOf.get(token.accountId) ?? [] }));
  return true;
}
