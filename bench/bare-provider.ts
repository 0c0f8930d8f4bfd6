import { generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Middleware } from 'koa';
import Provider, { type Account, type ClientMetadata, type Configuration, type JWKS } from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';
// Gatehouse's own lifetimes, so both sides store and sign the same things.
import { CLIENT_DEFAULTS, withoutId } from '../src/oidc/configuration.ts';
import { TTL } from '../src/oidc/ttl.ts';
import { freePort } from '../test/support/gatehouse.ts';
import {
  type BenchUser,
  MACHINE_CLIENT,
  PASSWORD,
  REDIRECT_URI,
  SCOPE,
  type Target,
  WEB_CLIENT,
} from './fixtures.ts';

/**
 * The baseline: oidc-provider as its README sets it up, with the same clients, features, key
 * types and token lifetimes as Gatehouse, but no database, no password hashing and no
 * middleware of its own around it.
 */
export async function startBareProvider(users: BenchUser[]): Promise<Target> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const accounts = new Map(users.map((u, i) => [u.email, { id: `bare-user-${i}`, ...u }]));
  const byId = new Map([...accounts.values()].map((a) => [a.id, a]));
  const provider = new Provider(
    issuer,
    configuration((id) => {
      const user = byId.get(id);
      return user && toAccount(user.id, user);
    }),
  );
  provider.use(interactions(provider, accounts));
  const server: Server = provider.listen(port, '127.0.0.1');
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  return {
    name: 'bare',
    issuer,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** What Gatehouse does for a skip_consent client: the grant covers what was asked, no consent page. */
const firstPartyGrant: NonNullable<Configuration['loadExistingGrant']> = async (ctx) => {
  const { client, session } = ctx.oidc;
  if (!client || !session?.accountId) return undefined;
  const grantId = session.grantIdFor(client.clientId);
  const grant =
    (grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined) ??
    new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
  grant.addOIDCScope(SCOPE);
  await grant.save();
  return grant;
};

type TokenPolicy = NonNullable<NonNullable<Configuration['features']>['introspection']>['allowedPolicy'];

function configuration(lookup: (id: string) => Account | undefined): Configuration {
  // The default adapter keeps at most ~2,000 entries; under client_credentials load it would evict
  // the pre-issued refresh tokens and the userinfo token within a second. Same adapter code, more room.
  const store = new LRU({ maxSize: 1_000_000 });
  const ownTokenOnly: TokenPolicy = async (ctx, _client, token) =>
    token.clientId === ctx.oidc.client?.clientId;
  return {
    adapter: (model: string) => new MemoryAdapter(model, store),
    clients: clients(),
    findAccount: (_ctx, sub) => lookup(sub),
    jwks: signingKeys(),
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: {
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      profile: ['name', 'updated_at'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
    },
    // As Gatehouse: the ID token carries the claims its scopes allow.
    conformIdTokenClaims: false,
    scopes: ['openid', 'offline_access', 'profile', 'email', 'groups'],
    extraClientMetadata: { properties: ['skip_consent'] },
    clientDefaults: withoutId(CLIENT_DEFAULTS),
    loadExistingGrant: firstPartyGrant,
    pkce: { required: () => true },
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    ttl: TTL,
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      userinfo: { enabled: true },
      backchannelLogout: { enabled: true },
      introspection: { enabled: true, allowedPolicy: ownTokenOnly },
      revocation: { enabled: true, allowedPolicy: ownTokenOnly },
      rpInitiatedLogout: { enabled: true },
    },
  };
}

function clients(): ClientMetadata[] {
  return [
    {
      client_id: MACHINE_CLIENT.clientId,
      client_secret: MACHINE_CLIENT.secret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    },
    {
      client_id: WEB_CLIENT.clientId,
      client_secret: WEB_CLIENT.secret,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [REDIRECT_URI],
      skip_consent: true,
    },
  ];
}

/** RS256 and ES256, as Gatehouse publishes: ID tokens are signed with the same algorithm on both. */
function signingKeys(): JWKS {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return {
    keys: [
      { ...rsa, kid: 'bare-rs256', alg: 'RS256', use: 'sig' },
      { ...ec, kid: 'bare-es256', alg: 'ES256', use: 'sig' },
    ] as JWKS['keys'],
  };
}

function toAccount(id: string, user: BenchUser): Account {
  return {
    accountId: id,
    claims: async () => ({
      sub: id,
      name: user.name,
      email: user.email,
      email_verified: true,
      groups: user.groups,
      updated_at: 0,
    }),
  };
}

const CSRF_COOKIE = 'bare_csrf';

/**
 * The same steps as Gatehouse's sign-in page, minimally: a form with a CSRF token (double-submit
 * cookie), then a password check by plain comparison instead of argon2.
 */
function interactions(provider: Provider, accounts: Map<string, { id: string }>): Middleware {
  return async (ctx, next) => {
    const match = /^\/interaction\/([\w-]+)(\/login)?$/.exec(ctx.path);
    if (!match) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== match[1] || details.prompt.name !== 'login') ctx.throw(400, 'unexpected interaction');
    if (ctx.method === 'GET' && !match[2]) {
      const token = randomBytes(24).toString('base64url');
      ctx.cookies.set(CSRF_COOKIE, token, {
        path: '/interaction',
        httpOnly: true,
        sameSite: 'lax',
        signed: false,
      });
      ctx.type = 'html';
      ctx.body = loginPage(details.uid, token);
      return;
    }
    if (ctx.method !== 'POST' || !match[2]) return next();
    const form = await readForm(ctx.req);
    if (!sameToken(ctx.cookies.get(CSRF_COOKIE, { signed: false }), form.get('_csrf')))
      ctx.throw(403, 'csrf');
    const account = accounts.get(form.get('email') ?? '');
    if (!account || form.get('password') !== PASSWORD) {
      ctx.status = 400;
      ctx.body = 'wrong email or password';
      return;
    }
    const returnTo = await provider.interactionResult(
      ctx.req,
      ctx.res,
      { login: { accountId: account.id, amr: ['pwd'], acr: '1' } },
      { mergeWithLastSubmission: false },
    );
    ctx.status = 303;
    ctx.redirect(returnTo);
  };
}

function loginPage(uid: string, csrf: string): string {
  return `<!doctype html><title>Sign in</title><form method="post" action="/interaction/${uid}/login">
<input type="hidden" name="_csrf" value="${csrf}">
<input name="email" type="email"><input name="password" type="password"><button>Sign in</button></form>`;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > 64 * 1024) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

function sameToken(a: string | undefined, b: string | null): boolean {
  if (!a || !b || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
