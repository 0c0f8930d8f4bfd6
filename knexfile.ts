/**
 * knex's own CLI (`npx knex migrate:status`, `migrate:list`, …) on the database Gatehouse uses:
 * the same settings (DATABASE_URL), the same migrations. Gatehouse migrates by itself at start
 * and with `gatehouse migrate`; this file is for looking, and for the odd manual step.
 */
import type { Knex } from 'knex';
import { loadSettings } from './src/config/settings.ts';
import { migratorConfig } from './src/db/migrations.ts';

const settings = loadSettings(process.env);
if (!settings.databaseUrl) {
  // The embedded cluster is started and stopped by Gatehouse itself; knex cannot reach it alone.
  throw new Error(
    'knexfile.ts: DATABASE_URL is not set. The embedded database is for `gatehouse db status`; knex needs a postgres:// URL.',
  );
}

// knex's CLI prints a pending migration's `file`; Gatehouse's source names them by plain strings.
const source = migratorConfig.migrationSource as Knex.MigrationSource<string>;
const namedSource: Knex.MigrationSource<{ name: string; file: string }> = {
  getMigrations: async (loadExtensions) =>
    (await source.getMigrations(loadExtensions)).map((name) => ({ name, file: name })),
  getMigrationName: (migration) => migration.name,
  getMigration: (migration) => source.getMigration(migration.name),
};

const config: Knex.Config = {
  client: 'pg',
  connection: settings.databaseUrl,
  migrations: { ...migratorConfig, migrationSource: namedSource },
};

export default config;
