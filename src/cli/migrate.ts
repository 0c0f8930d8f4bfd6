import { type Command, Option } from 'commander';
import { type OutputOptions, print } from './output.ts';
import { commandSettings, type Env, reachDatabase } from './runtime.ts';

export function registerMigrate(program: Command, env: Env): void {
  program
    .command('migrate')
    .description('apply pending database migrations and exit')
    .addOption(new Option('--json', 'print machine-readable JSON'))
    .action((flags: OutputOptions) => migrate(env, flags));
}

/**
 * Only the database, not the whole container: the container needs the tables that this creates.
 * `migrateLatest` takes knex's lock, so running it beside a starting server is safe.
 */
async function migrate(env: Env, flags: OutputOptions): Promise<void> {
  const { settings, logger } = commandSettings(env);
  const { openDatabase } = await import('../db/database.ts');
  const { migrateLatest } = await import('../db/migrations.ts');
  const { db, close } = await reachDatabase(settings, () => openDatabase(settings, logger));
  try {
    const applied = await reachDatabase(settings, () => migrateLatest(db));
    print(flags, { applied }, () =>
      applied.length
        ? [`Applied ${applied.length} migration(s):`, ...applied.map((m) => `  ${m}`)].join('\n')
        : 'The database is up to date; no migration was pending.',
    );
  } finally {
    await close();
  }
}
