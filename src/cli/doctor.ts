import { type Command, Option } from 'commander';
import type { Settings } from '../config/settings.ts';
import type { Database } from '../db/database.ts';
import type { Logger } from '../operations/logger.ts';
import { type Check, checkEmail, checkKeys, checkProviders, fail, ok, skipped } from './doctor-checks.ts';
import { ChecksFailed } from './errors.ts';
import { type OutputOptions, print } from './output.ts';
import { commandSettings, describeError, type Env, reachDatabase } from './runtime.ts';

/** `gatehouse doctor`: every dependency of a running Gatehouse, checked; exit 1 when one fails. */
export function registerDoctor(program: Command, env: Env): void {
  program
    .command('doctor')
    .description(
      'check the settings, the database and its migrations, the signing keys, SMTP and every provider',
    )
    .addOption(new Option('--json', 'print machine-readable JSON'))
    .action(async (flags: OutputOptions) => {
      const checks = await runChecks(env);
      const failed = checks.filter((c) => c.status === 'fail');
      print(flags, { ok: failed.length === 0, checks }, () => report(checks));
      if (failed.length) throw new ChecksFailed(failed.length, checks.length);
    });
}

async function runChecks(env: Env): Promise<Check[]> {
  let loaded: { settings: Settings; logger: Logger };
  try {
    loaded = commandSettings(env);
  } catch (error) {
    const rest = ['database', 'signing keys', 'email', 'providers'].map((c) =>
      skipped(c, 'the settings are wrong'),
    );
    return [fail('settings', describeError(error)), ...rest];
  }
  const { settings, logger } = loaded;
  const checks: Check[] = [ok('settings', `issuer ${settings.issuer}, NODE_ENV=${settings.nodeEnv}`)];
  const email = checkEmail(settings);
  const { openDatabase } = await import('../db/database.ts');
  let opened: Awaited<ReturnType<typeof openDatabase>>;
  try {
    opened = await reachDatabase(settings, () => openDatabase(settings, logger));
  } catch (error) {
    const rest = ['signing keys', 'providers'].map((c) => skipped(c, 'the database is not reachable'));
    return [...checks, fail('database', describeError(error)), ...rest, await email];
  }
  try {
    return [...checks, ...(await databaseChecks(opened.db, settings)), await email];
  } finally {
    await opened.close();
  }
}

/**
 * Pending and applied migrations, read without writing: knex's own listing creates its tables when
 * they are missing, and a check must leave a database as it found it.
 */
async function migrationState(db: Database): Promise<[string[], string[]]> {
  const { appliedMigrations, pendingMigrations, knownMigrations } = await import('../db/migrations.ts');
  if (!(await db.schema.hasTable('knex_migrations'))) return [await knownMigrations(), []];
  const applied = await appliedMigrations(db);
  return [await pendingMigrations(db), applied];
}

function where(settings: Settings): string {
  return settings.databaseUrl ? 'PostgreSQL at DATABASE_URL' : `embedded PostgreSQL in ${settings.dataDir}`;
}

/** The database's state, then what lives in it: keys and providers need its tables. */
async function databaseChecks(db: Database, settings: Settings): Promise<Check[]> {
  let pending: string[];
  let applied: string[];
  try {
    [pending, applied] = await migrationState(db);
  } catch (error) {
    return [
      fail('database', `${where(settings)}: ${describeError(error)}`),
      skipped('signing keys', 'no database'),
      skipped('providers', 'no database'),
    ];
  }
  if (pending.length) {
    const tables = applied.length ? 'its tables are out of date' : 'it has no tables yet';
    return [
      fail(
        'database',
        `${where(settings)}: ${pending.length} migration(s) pending, ${tables}: run \`gatehouse migrate\``,
      ),
      skipped('signing keys', 'the database is not migrated'),
      skipped('providers', 'the database is not migrated'),
    ];
  }
  const database = ok(
    'database',
    `${where(settings)}: reachable, ${applied.length} migrations applied, none pending`,
  );
  const guarded = async <T>(name: string, work: () => Promise<T>): Promise<T | Check> => {
    try {
      return await work();
    } catch (error) {
      return fail(name, describeError(error));
    }
  };
  const keys = await guarded('signing keys', () => checkKeys(db, settings));
  const providers = await guarded('providers', () => checkProviders(db, settings));
  return [database, keys, ...(Array.isArray(providers) ? providers : [providers])];
}

const MARK: Record<Check['status'], string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL', skipped: 'skip' };

function report(checks: Check[]): string {
  const width = Math.max(...checks.map((c) => c.check.length));
  const lines = checks.map((c) => `${MARK[c.status]}  ${c.check.padEnd(width)}  ${c.message}`);
  const failed = checks.filter((c) => c.status === 'fail').length;
  lines.push('', failed ? `${failed} problem(s) to fix.` : 'Everything checked is in order.');
  return lines.join('\n');
}
