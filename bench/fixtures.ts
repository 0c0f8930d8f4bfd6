/** What both targets are loaded with: the same clients, users and scopes on each. */

export type TargetName = 'gatehouse' | 'bare' | 'serve-1' | `serve-${number}`;

export interface Target {
  name: TargetName;
  issuer: string;
  /** Database statements sent so far (knex `query` events); the bare provider has no database. */
  queries?: () => number;
  stop(): Promise<void>;
}

/** Never contacted: the code is read from the Location header, as a browser would be redirected. */
export const REDIRECT_URI = 'http://127.0.0.1:9/callback';
export const SCOPE = 'openid profile email groups';
export const PASSWORD = 'correct horse battery staple';

export interface BenchClient {
  clientId: string;
  secret: string;
}

/** client_credentials only. */
export const MACHINE_CLIENT: BenchClient = {
  clientId: 'bench-machine',
  secret: 'bench-machine-secret-0123456789abcdefghijkl',
};

/** First-party web application: authorization code + PKCE, refresh tokens, no consent page. */
export const WEB_CLIENT: BenchClient = {
  clientId: 'bench-web',
  secret: 'bench-web-secret-0123456789abcdefghijklmnop',
};

export interface BenchUser {
  email: string;
  name: string;
  groups: string[];
}

/**
 * One user per load connection: concurrent sign-ins of a single user would all update one row
 * (last_login_at) and measure lock waits rather than sign-ins.
 */
export function benchUsers(count: number): BenchUser[] {
  return Array.from({ length: count }, (_, i) => ({
    email: `bench-user-${i}@example.com`,
    name: `Bench User ${i}`,
    groups: ['editors', 'bench'],
  }));
}

/** The endpoints a discovery document names; read from each target so paths never drift. */
export interface Endpoints {
  authorization: string;
  token: string;
  userinfo: string;
  introspection: string;
}

export async function discoverEndpoints(issuer: string): Promise<Endpoints> {
  const response = await fetch(`${issuer}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`discovery at ${issuer} answered ${response.status}`);
  const doc = (await response.json()) as Record<string, unknown>;
  const pick = (key: string): string => {
    const value = doc[key];
    if (typeof value !== 'string') throw new Error(`${issuer} publishes no ${key}`);
    return value;
  };
  return {
    authorization: pick('authorization_endpoint'),
    token: pick('token_endpoint'),
    userinfo: pick('userinfo_endpoint'),
    introspection: pick('introspection_endpoint'),
  };
}

export function basicAuth(client: BenchClient): string {
  const encode = (s: string) => encodeURIComponent(s);
  return `Basic ${Buffer.from(`${encode(client.clientId)}:${encode(client.secret)}`).toString('base64')}`;
}
