import type { Gatehouse } from '../src/container.ts';
import { startGatehouse } from '../test/support/gatehouse.ts';
import {
  type BenchUser,
  MACHINE_CLIENT,
  PASSWORD,
  REDIRECT_URI,
  type Target,
  WEB_CLIENT,
} from './fixtures.ts';

/** Gatehouse's database settings taken from the bench's environment, to compare them in one run. */
const TUNABLE = ['DATABASE_POOL_MAX', 'DATABASE_PREPARED_STATEMENTS'] as const;

function tunedFromEnvironment(): Record<string, string> {
  return Object.fromEntries(
    TUNABLE.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])),
  );
}

/** A real Gatehouse, wired as `gatehouse serve` wires it, on the bench's PostgreSQL database. */
export async function startGatehouseTarget(
  databaseUrl: string,
  users: BenchUser[],
  env: Record<string, string> = {},
): Promise<Target & { gatehouse: Gatehouse }> {
  const gh = await startGatehouse({
    databaseUrl,
    env: { LOG_LEVEL: 'warn', ...tunedFromEnvironment(), ...env },
  });
  try {
    await seedBenchTarget(gh.gatehouse, users);
  } catch (error) {
    await gh.stop();
    throw error;
  }
  // Every statement knex sends is one round trip (BEGIN and COMMIT included).
  let queries = 0;
  gh.gatehouse.db.on('query', () => {
    queries++;
  });
  return {
    name: 'gatehouse',
    issuer: gh.issuer,
    gatehouse: gh.gatehouse,
    queries: () => queries,
    stop: () => gh.stop(),
  };
}

/** Through the services, as an operator's `gatehouse user` / `gatehouse client` commands would. */
export async function seedBenchTarget(gatehouse: Gatehouse, users: BenchUser[]): Promise<void> {
  for (const user of users) {
    await gatehouse.userManager.createUser({ ...user, password: PASSWORD, emailVerified: true });
  }
  await gatehouse.clients.create({
    clientId: MACHINE_CLIENT.clientId,
    secret: MACHINE_CLIENT.secret,
    name: 'Bench machine client',
    public: false,
    redirectUris: [],
    postLogoutRedirectUris: [],
    grants: ['client_credentials'],
    scopes: [],
    skipConsent: false,
  });
  await gatehouse.clients.create({
    clientId: WEB_CLIENT.clientId,
    secret: WEB_CLIENT.secret,
    name: 'Bench web app',
    public: false,
    redirectUris: [REDIRECT_URI],
    postLogoutRedirectUris: [],
    grants: ['authorization_code', 'refresh_token'],
    scopes: [],
    skipConsent: true,
  });
}
