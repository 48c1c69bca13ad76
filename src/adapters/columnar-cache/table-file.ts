import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { crc32 } from 'node:zlib';
import { columnArrays, columnsOf, tableOver, type MarketTable, type TableInputStats } from '../../core/columns.js';

/**
 * The columnar cache file (`.twcol`): a table's columns as raw little-endian float64, so reading
 * it is one read into memory and typed-array views over it, no parsing.
 *
 *   0    8 bytes   magic "TWCOL\x01\r\n"
 *   8    4 bytes   header length H (uint32 LE)
 *   12   H bytes   header, JSON: format version, kind, rows, columns, source hash and size, input stats
 *   ...  padding to a multiple of 8 (the columns start 8-byte aligned)
 *   ...  the columns, one after the other, rows x 8 bytes each
 *   end  16 bytes  trailer: CRC-32 of everything before it (uint32 LE), 4 zero bytes, "TWCOLEND"
 *
 * A file whose size, magic, header, trailer or CRC does not match is refused (TableFileError)
 * and the cache rebuilds it from the source: a truncated or corrupted file is never trusted.
 */
export const TABLE_FILE_VERSION = 1;
const MAGIC = Buffer.from('TWCOL\x01\r\n', 'latin1');
const END = Buffer.from('TWCOLEND', 'latin1');
const TRAILER = 16;

export interface TableHeader {
  version: number;
  kind: MarketTable['kind'];
  rows: number;
  columns: string[];
  /** SHA-256 (hex) and size of the source file the table was built from. */
  source: { sha256: string; size: number };
  input: TableInputStats;
}

export class TableFileError extends Error {
  override name = 'TableFileError';
}

const LITTLE = endianness() === 'LE';

/** Writes the table to `file` atomically (a temporary file renamed over it). */
export function writeTableFile(file: string, table: MarketTable, source: TableHeader['source'], input: TableInputStats): void {
  if (!LITTLE) throw new TableFileError('the columnar cache needs a little-endian machine');
  const header: TableHeader = { version: TABLE_FILE_VERSION, kind: table.kind, rows: table.rows, columns: [...columnsOf(table.kind)], source, input };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const headEnd = MAGIC.length + 4 + json.length;
  const head = Buffer.alloc(Math.ceil(headEnd / 8) * 8);
  MAGIC.copy(head, 0);
  head.writeUInt32LE(json.length, MAGIC.length);
  json.copy(head, MAGIC.length + 4);
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const fd = openSync(tmp, 'w');
  try {
    let crc = crc32(head);
    writeAll(fd, head);
    for (const col of columnArrays(table)) {
      const bytes = new Uint8Array(col.buffer, col.byteOffset, table.rows * 8);
      crc = crc32(bytes, crc);
      writeAll(fd, bytes);
    }
    const trailer = Buffer.alloc(TRAILER);
    trailer.writeUInt32LE(crc >>> 0, 0);
    END.copy(trailer, 8);
    writeAll(fd, trailer);
  } catch (error) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(tmp, file);
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

/**
 * Reads a table file into one SharedArrayBuffer (worker threads can then share it) and checks
 * it whole: size, magic, header, trailer and CRC. Throws TableFileError when anything is off.
 */
export function readTableFile(file: string, expect?: { kind: MarketTable['kind']; sha256: string }): { header: TableHeader; table: MarketTable } {
  const fd = openSync(file, 'r');
  let bytes: Uint8Array;
  try {
    const size = fstatSync(fd).size;
    if (size < MAGIC.length + 4 + TRAILER) throw new TableFileError(`${file}: truncated (${size} bytes)`);
    bytes = new Uint8Array(new SharedArrayBuffer(size));
    let done = 0;
    while (done < size) {
      const n = readSync(fd, bytes, done, size - done, done);
      if (n === 0) throw new TableFileError(`${file}: shorter than its size`);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new TableFileError(`${file}: not a columnar cache file`);
  const headerLength = buf.readUInt32LE(MAGIC.length);
  if (MAGIC.length + 4 + headerLength > buf.length - TRAILER) throw new TableFileError(`${file}: truncated header`);
  let header: TableHeader;
  try {
    header = JSON.parse(buf.toString('utf8', MAGIC.length + 4, MAGIC.length + 4 + headerLength)) as TableHeader;
  } catch {
    throw new TableFileError(`${file}: unreadable header`);
  }
  if (header.version !== TABLE_FILE_VERSION) throw new TableFileError(`${file}: format version ${header.version}, expected ${TABLE_FILE_VERSION}`);
  if (header.kind !== 'bars' && header.kind !== 'ticks') throw new TableFileError(`${file}: unknown kind ${String(header.kind)}`);
  if (expect && (header.kind !== expect.kind || header.source?.sha256 !== expect.sha256)) throw new TableFileError(`${file}: built from another source or kind`);
  const names = columnsOf(header.kind);
  if (!Number.isInteger(header.rows) || header.rows < 0 || JSON.stringify(header.columns) !== JSON.stringify(names)) throw new TableFileError(`${file}: unexpected columns or rows`);
  const offset = Math.ceil((MAGIC.length + 4 + headerLength) / 8) * 8;
  const dataEnd = offset + names.length * header.rows * 8;
  if (dataEnd + TRAILER !== buf.length) throw new TableFileError(`${file}: ${buf.length} bytes, expected ${dataEnd + TRAILER} (truncated or padded)`);
  if (!buf.subarray(dataEnd + 8, dataEnd + TRAILER).equals(END)) throw new TableFileError(`${file}: bad trailer`);
  if ((crc32(buf.subarray(0, dataEnd)) >>> 0) !== buf.readUInt32LE(dataEnd)) throw new TableFileError(`${file}: checksum mismatch (corrupted)`);
  return { header, table: tableOver(header.kind, bytes.buffer, offset, header.rows) };
}
