import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { Transform, pipeline, type Readable } from 'node:stream';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import type { MarketTable, TableInputStats } from '../../core/columns.js';
import { ColumnarTickParser } from '../importers/columnar.js';
import { readBars } from '../importers/index.js';
import { GrowingTable } from './growing-table.js';
import { KlineByteParser, NotKlinesError } from './kline-bytes.js';

export interface BuiltTable {
  table: MarketTable;
  input: TableInputStats;
  /** SHA-256 (hex) and size of the bytes read, hashed as they were parsed. */
  sha256: string;
  size: number;
}

const READ_CHUNK = 1 << 20;

function isGzip(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/**
 * The file's text as chunks, gunzipped when it is gzip; every raw byte goes through `hash`
 * first. zlib inflates on the libuv thread pool, so it runs alongside the parsing.
 */
function textOf(path: string, hash: (chunk: Buffer) => void): Readable {
  // A deep output buffer: zlib keeps inflating ahead while the reader (a backtest running on
  // the rows parsed so far) is busy.
  const raw = createReadStream(path, { highWaterMark: READ_CHUNK });
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash(chunk);
      done(null, chunk);
    },
  });
  if (!isGzip(path)) return pipeline(raw, tap, () => {});
  return pipeline(raw, tap, createGunzip({ chunkSize: 256 * 1024, highWaterMark: 16 << 20 } as ZlibOptions) /* stream options pass through */, () => {});
}

/** Reads a bar file (Binance klines fast, any other layout through readBars) or a tick file into columns. */
export async function buildTable(path: string, kind: MarketTable['kind']): Promise<BuiltTable> {
  const hash = createHash('sha256');
  let size = 0;
  const tap = (chunk: Buffer) => {
    size += chunk.length;
    hash.update(chunk);
  };
  if (kind === 'ticks') {
    const parser = new ColumnarTickParser({ symbol: '', format: 'tick', batchSize: 65_536 });
    const out = new GrowingTable('ticks');
    const take = (batches: ReturnType<ColumnarTickParser['push']>) => {
      for (const b of batches) {
        out.append([b.ts, b.price, b.size, b.trades], b.length);
        parser.recycle(b);
      }
    };
    for await (const chunk of textOf(path, tap)) take(parser.push(chunk as Buffer));
    take(parser.end());
    const s = parser.stats;
    const input = { format: s.format, headerSkipped: s.headerSkipped, rows: s.rows, valid: s.valid, malformed: s.malformed, malformedExamples: s.malformedExamples.slice() };
    return { table: out.table(), input, sha256: hash.digest('hex'), size };
  }
  const bars = buildBarsStreaming(path);
  for (;;) {
    const next = await bars.next();
    if (next.done) return next.value;
  }
}

/**
 * A bar file while it is read: yields the growing table after each chunk (rows appended, never
 * moved), so a caller can use the rows parsed so far while zlib inflates the next ones on the
 * thread pool; returns the built table. A layout other than Binance klines is read whole by the
 * line reader (no yields). `progress.bytes` counts the raw bytes read.
 */
export async function* buildBarsStreaming(path: string, progress: { bytes: number } = { bytes: 0 }): AsyncGenerator<GrowingTable, BuiltTable> {
  const hash = createHash('sha256');
  const parser = new KlineByteParser();
  const text = textOf(path, (chunk) => {
    progress.bytes += chunk.length;
    hash.update(chunk);
  });
  try {
    for await (const chunk of text) {
      parser.push(chunk as Buffer);
      yield parser.out;
    }
    parser.end();
    yield parser.out;
  } catch (error) {
    if (error instanceof NotKlinesError) return buildWithReader(path);
    throw error;
  } finally {
    text.destroy();
  }
  return { table: parser.out.table(), input: parser.stats, sha256: hash.digest('hex'), size: progress.bytes };
}

/** Generic OHLCV files: the line reader (header names, time formats, interval inference). */
async function buildWithReader(path: string): Promise<BuiltTable> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK })) {
    size += (chunk as Buffer).length;
    hash.update(chunk as Buffer);
  }
  const reader = readBars(path, { symbol: '-', batchSize: 65_536 });
  const out = new GrowingTable('bars');
  for await (const batch of reader) {
    const n = batch.length;
    const cols = [new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n)] as const;
    batch.forEach((b, i) => {
      cols[0][i] = b.start;
      cols[1][i] = b.intervalMs;
      cols[2][i] = b.open;
      cols[3][i] = b.high;
      cols[4][i] = b.low;
      cols[5][i] = b.close;
      cols[6][i] = b.volume;
      cols[7][i] = b.trades;
    });
    out.append(cols, n);
  }
  const s = reader.stats;
  const input = { format: s.format, headerSkipped: s.headerSkipped, rows: s.rows, valid: s.valid, malformed: s.malformed, malformedExamples: s.malformedExamples.slice() };
  return { table: out.table(), input, sha256: hash.digest('hex'), size };
}

/** SHA-256 (hex) of a file's bytes. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
