import type * as oidc from 'openid-client';
import type { ClientInput } from '../../src/oidc/client-settings.ts';
import type { StartOptions, TestGatehouse } from './gatehouse.ts';
import { startOnTestDatabase } from './gatehouse-setup.ts';
import type { TestDatabase } from './postgres.ts';
import { registerTestApp } from './sign-in-flow.ts';
import { registerUpstream } from './upstream-flow.ts';
import { startUpstream, type UpstreamOp, type UpstreamUser } from './upstream-op.ts';

/** A Gatehouse on its own database, one upstream OP registered in it, and the test application. */
export interface UpstreamSetup {
  db: TestDatabase;
  gh: TestGatehouse;
  upstream: UpstreamOp;
  /** The test application's openid-client configuration. */
  config: oidc.Configuration;
  /** Stops what started, in reverse (also after a start that failed half way). */
  close(): Promise<void>;
}

export interface UpstreamSetupOptions {
  gatehouse?: Omit<StartOptions, 'databaseUrl'>;
  /** The upstream's alias (default `corp`) and its users. */
  alias?: string;
  users: UpstreamUser[];
  /** The provider's registration in Gatehouse (display name `Corp ID` unless given). */
  provider?: Omit<Parameters<typeof registerUpstream>[2], 'displayName'> & { displayName?: string };
  app?: Partial<ClientInput>;
}

/** The `beforeAll` of the upstream sign-in tests: Gatehouse, then the upstream, then the application. */
export async function startWithUpstream(options: UpstreamSetupOptions): Promise<UpstreamSetup> {
  const { db, gh } = await startOnTestDatabase(options.gatehouse);
  let upstream: UpstreamOp | undefined;
  const close = async () => {
    await gh.stop();
    await upstream?.close();
    await db.drop();
  };
  try {
    const alias = options.alias ?? 'corp';
    upstream = await startUpstream({ gatehouseIssuer: gh.issuer, alias, users: options.users });
    await registerUpstream(gh, upstream, { displayName: 'Corp ID', ...options.provider });
    const config = await registerTestApp(gh, options.app);
    return { db, gh, upstream, config, close };
  } catch (error) {
    await close();
    throw error;
  }
}
