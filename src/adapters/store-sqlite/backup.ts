import Database from 'better-sqlite3';
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { MARKET_MIGRATIONS } from './market-migrations.js';
import { MIGRATIONS, type Migration } from './migrations.js';

/** The two SQLite databases of a data directory, each with its own migrations. */
export type DatabaseKind = 'journal' | 'market';

const SCHEMAS: Record<DatabaseKind, { migrations: readonly Migration[]; table: string }> = {
  // A table every journal (market store) has since its first migration: tells the two apart.
  journal: { migrations: MIGRATIONS, table: 'orders' },
  market: { migrations: MARKET_MIGRATIONS, table: 'bars' },
};

const removeWithSidecars = (file: string): void => {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${file}${suffix}`, { force: true });
};

export class BackupError extends Error {
  override name = 'BackupError';
}

export interface DatabaseReport {
  file: string;
  kind: DatabaseKind;
  schemaVersion: number;
  bytes: number;
  /** Rows per table (sqlite_* tables aside). */
  tables: Record<string, number>;
}

/**
 * The copy keeps the source's WAL flag in its header; a backup is one self-contained file, so it
 * is switched to a rollback journal (the server switches its database back to WAL when it opens it).
 */
function makeSelfContained(file: string): void {
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma('journal_mode = DELETE');
  } finally {
    db.close();
  }
}

/**
 * Copies a live database with SQLite's online backup API. The copy is one consistent snapshot:
 * every page is transferred in a single step, so it reads one WAL snapshot while the server keeps
 * writing (a write between steps would restart a paged copy, possibly forever under load).
 * Written next to `target` first and renamed, so an interrupted backup never leaves a partial file
 * under the target's name.
 */
export async function backupDatabase(source: string, target: string, kind: DatabaseKind): Promise<DatabaseReport> {
  if (!existsSync(source)) throw new BackupError(`no database at ${source}`);
  const partial = `${target}.partial`;
  removeWithSidecars(partial);
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    await db.backup(partial, { progress: () => 0x7fffffff });
  } catch (error) {
    removeWithSidecars(partial);
    throw new BackupError(`backup of ${source} failed: ${(error as Error).message}`);
  } finally {
    db.close();
  }
  makeSelfContained(partial);
  try {
    const report = inspectDatabase(partial, kind);
    renameSync(partial, target);
    return { ...report, file: target };
  } finally {
    removeWithSidecars(partial);
  }
}

/**
 * Checks a database file before it is trusted: SQLite's integrity check, the kind of database, and
 * a migration history this version of Tradewind knows (versions 1..N without gaps, N at most the
 * newest here; an older one is migrated on the next start).
 */
export function inspectDatabase(file: string, kind: DatabaseKind): DatabaseReport {
  if (!existsSync(file)) throw new BackupError(`${file} does not exist`);
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new BackupError(`${file} cannot be opened as a SQLite database: ${(error as Error).message}`);
  }
  try {
    let problems: string[];
    try {
      problems = (db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[]).map((r) => r.integrity_check);
    } catch (error) {
      throw new BackupError(`${file} is not a usable SQLite database: ${(error as Error).message}`);
    }
    if (problems.length !== 1 || problems[0] !== 'ok') {
      throw new BackupError(`${file} failed SQLite's integrity check: ${problems.slice(0, 5).join('; ')}`);
    }
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
    const schema = SCHEMAS[kind];
    if (!tables.includes('schema_migrations') || !tables.includes(schema.table)) {
      throw new BackupError(`${file} is not a Tradewind ${kind === 'journal' ? 'trading journal (tradewind.db)' : 'market data store (market.db)'}`);
    }
    const versions = (db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map((r) => r.version);
    const newest = schema.migrations[schema.migrations.length - 1]?.version ?? 0;
    const schemaVersion = versions[versions.length - 1] ?? 0;
    if (schemaVersion > newest) {
      throw new BackupError(`${file} is at schema version ${schemaVersion}, newer than this Tradewind knows (${newest}): restore it with the version that made it`);
    }
    if (versions.some((v, i) => v !== i + 1)) throw new BackupError(`${file} has an unexpected migration history: ${versions.join(', ')}`);
    const counts: Record<string, number> = {};
    for (const t of tables) counts[t] = (db.prepare(`SELECT COUNT(*) AS n FROM "${t.replace(/"/g, '""')}"`).get() as { n: number }).n;
    return { file, kind, schemaVersion, bytes: statSync(file).size, tables: counts };
  } finally {
    db.close();
  }
}

/**
 * Puts a checked backup in place as `target`: copied with the backup API to a temporary file
 * beside it, checked again, then the target's old WAL and shared-memory files are removed
 * (an old WAL replayed onto the restored file would corrupt it) and the copy renamed over it.
 */
export async function restoreDatabase(backup: string, target: string, kind: DatabaseKind): Promise<DatabaseReport> {
  inspectDatabase(backup, kind);
  const partial = `${target}.restoring`;
  removeWithSidecars(partial);
  const db = new Database(backup, { readonly: true, fileMustExist: true });
  try {
    await db.backup(partial, { progress: () => 0x7fffffff });
  } finally {
    db.close();
  }
  makeSelfContained(partial);
  try {
    const report = inspectDatabase(partial, kind);
    for (const suffix of ['-wal', '-shm', '-journal']) rmSync(`${target}${suffix}`, { force: true });
    renameSync(partial, target);
    return { ...report, file: target };
  } finally {
    removeWithSidecars(partial);
  }
}
