import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import type { Settings } from '../config/settings.ts';
import type { Logger } from '../operations/logger.ts';
import { fields, type OutputOptions, print } from './output.ts';
import { commandSettings, type Env, reachDatabase } from './runtime.ts';

const json = () => new Option('--json', 'print machine-readable JSON');

/** `gatehouse db …`: the database itself — where it is, its state, a backup and a restore. */
export function registerDbCommands(program: Command, env: Env): void {
  const db = program.command('db').description('the database: status, backup, restore');
  db.command('status')
    .description('where the database is, whether it runs, its size and migrations (never starts it)')
    .addOption(json())
    .action((flags: OutputOptions) => status(env, flags));
  db.command('backup <file>')
    .description('write every table, read in one snapshot, to a gzipped file; safe while servers run')
    .addOption(json())
    .action((file: string, flags: OutputOptions) => backup(env, resolve(file), flags));
  db.command('restore <file>')
    .description('replace all data with a backup, in one transaction (stop the servers first)')
    .addOption(json())
    .action((file: string, flags: OutputOptions) => restore(env, resolve(file), flags));
}

async function backup(env: Env, file: string, flags: OutputOptions): Promise<void> {
  const { writeBackup } = await import('../db/backup.ts');
  const summary = await withDatabase(env, ({ db }) => writeBackup(db, file));
  const rows = Object.values(summary.tables).reduce((a, b) => a + b, 0);
  print(
    flags,
    { file, ...summary },
    () => `Backed up ${rows} row(s) of ${Object.keys(summary.tables).length} tables to ${file}`,
  );
}

async function restore(env: Env, file: string, flags: OutputOptions): Promise<void> {
  const { restoreBackup } = await import('../db/backup.ts');
  const summary = await withDatabase(env, async ({ db, embedded }) => {
    const others = await otherUsers(db, embedded);
    if (others > 0) {
      throw new Error(`${others} other Gatehouse process(es) use this database; stop them, then restore`);
    }
    return restoreBackup(db, file);
  });
  const rows = Object.values(summary.tables).reduce((a, b) => a + b, 0);
  print(
    flags,
    { file, ...summary },
    () => `Restored ${rows} row(s) of ${Object.keys(summary.tables).length} tables from ${file}`,
  );
}

type Opened = Awaited<ReturnType<typeof import('../db/database.ts')['openDatabase']>>;

/** Opens the database as every command does (joining or starting the embedded cluster), and closes it. */
async function withDatabase<T>(env: Env, work: (opened: Opened) => Promise<T>): Promise<T> {
  const { settings, logger } = commandSettings(env);
  const { openDatabase } = await import('../db/database.ts');
  const opened = await reachDatabase(settings, () => openDatabase(settings, logger));
  try {
    return await reachDatabase(settings, () => work(opened));
  } finally {
    await opened.close();
  }
}

/**
 * Other processes using the database now. On the embedded cluster every Gatehouse process holds a
 * lease (an idle server may have no open connection); elsewhere, other sessions on the database.
 */
async function otherUsers(db: Opened['db'], embedded: boolean): Promise<number> {
  if (embedded) {
    const { leaseHolders } = await import('../db/embedded/lease.ts');
    return (await leaseHolders(db)) - 1;
  }
  const { rows } = (await db.raw(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
  )) as { rows: Array<{ n: number }> };
  return rows[0]?.n ?? 0;
}

interface Status {
  kind: 'embedded' | 'external';
  location: string;
  state: 'running' | 'stopped' | 'not created';
  pid?: number;
  port?: number;
  processes?: number;
  version?: string;
  sizeBytes?: number;
  migrations?: { applied: number; pending: number };
}

async function status(env: Env, flags: OutputOptions): Promise<void> {
  const { settings, logger } = commandSettings(env);
  const result = settings.databaseUrl
    ? await reachDatabase(settings, () => externalStatus(settings.databaseUrl ?? '', logger))
    : await embeddedStatus(settings);
  print(flags, result, () => describeStatus(result));
}

async function externalStatus(databaseUrl: string, logger: Logger): Promise<Status> {
  const url = new URL(databaseUrl);
  const location = `postgres://${url.host}${url.pathname}`;
  return { kind: 'external', location, state: 'running', ...(await inspect(databaseUrl, logger)) };
}

/** Reads postmaster.pid rather than joining: asking for the status must not start the cluster. */
async function embeddedStatus(settings: Settings): Promise<Status> {
  const { EmbeddedCluster } = await import('../db/embedded/cluster.ts');
  const cluster = await EmbeddedCluster.open({ dataDir: settings.dataDir });
  const location = cluster.pgdata;
  if (!cluster.isInitialised()) return { kind: 'embedded', location, state: 'not created' };
  const postmaster = cluster.postmaster();
  if (!postmaster?.alive || postmaster.status !== 'ready')
    return { kind: 'embedded', location, state: 'stopped' };
  const { leaseHolders } = await import('../db/embedded/lease.ts');
  const details = await inspect(
    cluster.url(postmaster.port, 'gatehouse', postmaster.socketDir),
    undefined,
    leaseHolders,
  );
  return {
    kind: 'embedded',
    location,
    state: 'running',
    pid: postmaster.pid,
    port: postmaster.port,
    ...details,
  };
}

async function inspect(
  url: string,
  logger: Logger | undefined,
  holders?: (db: Opened['db']) => Promise<number>,
): Promise<Partial<Status>> {
  const { createDatabase } = await import('../db/database.ts');
  const { appliedMigrations, pendingMigrations } = await import('../db/migrations.ts');
  const db = createDatabase(url, logger);
  try {
    const { rows } = (await db.raw(
      `SELECT current_setting('server_version') AS version, pg_database_size(current_database())::bigint AS size`,
    )) as { rows: Array<{ version: string; size: string }> };
    const [applied, pending] = await Promise.all([appliedMigrations(db), pendingMigrations(db)]);
    return {
      version: `PostgreSQL ${rows[0]?.version ?? '?'}`,
      sizeBytes: Number(rows[0]?.size ?? 0),
      migrations: { applied: applied.length, pending: pending.length },
      ...(holders ? { processes: await holders(db) } : {}),
    };
  } finally {
    await db.destroy();
  }
}

function describeStatus(s: Status): string {
  const where =
    s.kind === 'embedded' ? `embedded PostgreSQL in ${s.location}` : `PostgreSQL at ${s.location}`;
  const state =
    s.state === 'running' && s.kind === 'embedded'
      ? `running (pid ${s.pid}, 127.0.0.1:${s.port}), used by ${s.processes} Gatehouse process(es)`
      : s.state === 'stopped'
        ? 'stopped (`serve` or any command starts it)'
        : s.state === 'not created'
          ? 'not created yet (the first `serve` or command creates it)'
          : 'reachable';
  const entries: Array<[string, string]> = [
    ['Database', where],
    ['State', state],
  ];
  if (s.version) entries.push(['Version', s.version]);
  if (s.sizeBytes !== undefined) entries.push(['Size', `${Math.round(s.sizeBytes / 1024 / 1024)} MB`]);
  if (s.migrations)
    entries.push(['Migrations', `${s.migrations.applied} applied, ${s.migrations.pending} pending`]);
  return fields(entries);
}
