import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { join, resolve } from 'node:path';
import type { MarketTable, TableInputStats } from '../../core/columns.js';
import { buildTable, hashFile, type BuiltTable } from './build.js';
import { TableFileError, readTableFile, writeTableFile } from './table-file.js';

/**
 * The columnar cache of market data files: a bar or tick file read once is kept as raw float64
 * columns (table-file.ts), and the next backtest on the same content reads those instead of
 * gunzipping and parsing the text again.
 *
 * Layout, under `dir` (the CLI uses DATA_DIR/cache/columnar):
 *   <sha256 of the source bytes>.<bars|ticks>.twcol   the table, keyed by the source's content
 *   index/<sha1 of the source's absolute path>.json  {path, size, mtimeMs, ctimeMs, ino, dev, sha256}
 *
 * Never stale: the table is named by the content hash of the file it was built from. The index
 * only saves hashing: when a file's size, mtime, ctime, inode and device are all those recorded,
 * its hash is the recorded one (any write, `touch` or replacement changes ctime, which no
 * program can set back). Otherwise the file is hashed again (a `touch` keeps the content: same
 * hash, the table is reused) or rebuilt when the content changed. A table file that fails its
 * checks (size, header, CRC) is rebuilt, never trusted. Delete the directory to clear it.
 */
export type CacheStatus = 'hit' | 'built' | 'rebuilt';

export interface CacheLoad {
  table: MarketTable;
  input: TableInputStats;
  status: CacheStatus;
  /** Why the table was (re)built, or why it could not be saved. */
  reason: string | null;
  sha256: string;
  /** The table file (it may not exist if saving failed; see `reason`). */
  file: string;
}

/** A `lookup` that found no sound table: the absolute path and what `save` checks. */
export interface CacheMiss {
  path: string;
  kind: MarketTable['kind'];
  before: Stats;
  indexFile: string;
  entry: IndexEntry | null;
  reason: string;
}

interface IndexEntry {
  path: string;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  dev: number;
  sha256: string;
}

const sameFile = (e: IndexEntry, s: Stats): boolean => e.size === s.size && e.mtimeMs === s.mtimeMs && e.ctimeMs === s.ctimeMs && e.ino === s.ino && e.dev === s.dev;

export class ColumnarCache {
  constructor(readonly dir: string) {}

  tableFile(sha256: string, kind: MarketTable['kind']): string {
    return join(this.dir, `${sha256}.${kind}.twcol`);
  }

  /** The table of a bar (`bars`) or tick (`ticks`) file: from the cache, or built and saved. */
  async load(path: string, kind: MarketTable['kind']): Promise<CacheLoad> {
    const found = await this.lookup(path, kind);
    return 'table' in found ? found : this.save(found, await buildTable(found.path, kind));
  }

  /**
   * The cached table when it is there and sound; otherwise what `save` needs once the caller has
   * built the table (so a caller may build it its own way, e.g. running a backtest as it parses).
   */
  async lookup(path: string, kind: MarketTable['kind']): Promise<CacheLoad | CacheMiss> {
    const abs = resolve(path);
    const before = statSync(abs);
    const indexFile = join(this.dir, 'index', `${createHash('sha1').update(`${kind}:${abs}`).digest('hex')}.json`);
    const entry = readIndex(indexFile);
    let reason: string;
    let known: string | null = null;
    if (entry && sameFile(entry, before)) {
      known = entry.sha256;
      reason = 'the cached table failed its checks';
    } else if (entry && entry.size === before.size) {
      // Same size, new times: most often a touch or a copy of the same bytes; hash to know.
      known = await hashFile(abs);
      reason = known === entry.sha256 ? 'the cached table failed its checks' : 'the source changed';
    } else {
      reason = entry ? 'the source changed' : 'first read of this file';
    }
    if (known !== null) {
      const file = this.tableFile(known, kind);
      if (existsSync(file)) {
        try {
          const { header, table } = readTableFile(file, { kind, sha256: known });
          if (!entry || !sameFile(entry, before)) this.saveIndex(indexFile, abs, before, known);
          return { table, input: header.input, status: 'hit', reason: null, sha256: known, file };
        } catch (error) {
          if (!(error instanceof TableFileError)) throw error;
          reason = `rebuilt: ${error.message}`;
        }
      } else if (reason === 'the cached table failed its checks') {
        reason = 'the cached table is missing';
      }
    }
    return { path: abs, kind, before, indexFile, entry, reason };
  }

  /** Saves a table built after a `lookup` miss (unless the file changed while it was read). */
  save(miss: CacheMiss, built: BuiltTable): CacheLoad {
    const { kind, before, indexFile, entry, reason } = miss;
    const file = this.tableFile(built.sha256, kind);
    const after = statSync(miss.path);
    const steady = before.size === after.size && before.mtimeMs === after.mtimeMs && before.ctimeMs === after.ctimeMs && built.size === after.size;
    const status: CacheStatus = entry ? 'rebuilt' : 'built';
    if (!steady) return { table: built.table, input: built.input, status, reason: `${reason}; not cached: the file changed while it was read`, sha256: built.sha256, file };
    try {
      mkdirSync(join(this.dir, 'index'), { recursive: true });
      writeTableFile(file, built.table, { sha256: built.sha256, size: built.size }, built.input);
      this.saveIndex(indexFile, miss.path, after, built.sha256);
      // The previous content's table, if this path was its only source that we know of.
      if (entry && entry.sha256 !== built.sha256) rmSync(this.tableFile(entry.sha256, kind), { force: true });
    } catch (error) {
      return { table: built.table, input: built.input, status, reason: `${reason}; not cached: ${error instanceof Error ? error.message : String(error)}`, sha256: built.sha256, file };
    }
    return { table: built.table, input: built.input, status, reason, sha256: built.sha256, file };
  }

  private saveIndex(indexFile: string, path: string, s: Stats, sha256: string): void {
    const entry: IndexEntry = { path, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, ino: s.ino, dev: s.dev, sha256 };
    try {
      mkdirSync(join(this.dir, 'index'), { recursive: true });
      const tmp = `${indexFile}.tmp-${process.pid}`;
      writeFileSync(tmp, JSON.stringify(entry));
      renameSync(tmp, indexFile);
    } catch {
      // A read-only cache directory only costs the fast path.
    }
  }
}

function readIndex(file: string): IndexEntry | null {
  try {
    const e = JSON.parse(readFileSync(file, 'utf8')) as IndexEntry;
    return typeof e.sha256 === 'string' && /^[0-9a-f]{64}$/.test(e.sha256) && typeof e.size === 'number' ? e : null;
  } catch {
    return null;
  }
}
