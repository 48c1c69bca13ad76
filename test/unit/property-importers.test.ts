import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ColumnarTickParser } from '../../src/adapters/importers/columnar.js';
import { ImportFormatError, readBars, readTicks, type ImportStats, type ReadOptions } from '../../src/adapters/importers/index.js';
import type { Bar, Tick } from '../../src/core/market.js';
import { propertyOptions } from './property-support.js';

// Bytes that look like the formats (so detection succeeds and rows reach the parsers), broken in
// every way a file can be: random tokens, separators, line endings, BOMs, quotes, huge numbers.
const token = fc.oneof(
  fc.constantFrom('2024-01-02 09:30:00.123', '2024-01-02T09:30:00Z', '20240102 093000', '01/02/2024', '09:30:00', '1704067200000', '1704067200000000', '1704067259999'),
  fc.constantFrom('timestamp', 'price', 'size', 'volume', 'open', 'high', 'low', 'close', 'date', 'time', 'trades', 'open_time'),
  fc.constantFrom('5000.25', '0', '-1', '1e308', 'NaN', 'Infinity', '0x10', '1e-7', '999999999999', '42283.58', '', ' ', '"', '""', '\u0000', '\ufeff'),
  fc.double().map(String),
  fc.integer().map(String),
  fc.string({ maxLength: 12 }),
);
const separator = fc.constantFrom(',', ';', '\t', '|', ' ', ',,');
const lineEnd = fc.constantFrom('\n', '\r\n', '\r', '\n\n', '');
const line = fc.tuple(fc.array(token, { minLength: 0, maxLength: 13 }), separator, lineEnd).map(([ts, sep, end]) => ts.join(sep) + end);
const VALID_TICKS = 'timestamp,price,size\n2024-01-02 09:30:00.000,5000.25,1\n2024-01-02 09:30:00.500,5000.5,2\n';
const VALID_KLINES = '1704067200000,42283.58,42298.62,42261.02,42298.61,35.92724,1704067259999,1519032.8,1327,23.1,977000.1,0\n';
const text = fc.oneof(
  fc.array(line, { maxLength: 30 }).map((ls) => ls.join('')),
  // A valid file with random lines spliced in.
  fc.tuple(fc.constantFrom(VALID_TICKS, VALID_KLINES), fc.array(line, { maxLength: 10 }), fc.nat()).map(([valid, extra, at]) => {
    const lines = valid.split('\n');
    lines.splice(1 + (at % lines.length), 0, ...extra);
    return lines.join('\n');
  }),
);
const bytes = fc.oneof(
  { weight: 3, arbitrary: text.map((t) => Buffer.from(t, 'utf8')) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2_000 }).map((b) => Buffer.from(b)) },
  // gzip: the magic and garbage, or a real gzip cut short (a damaged .gz is refused, not a crash).
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from(b)])) },
  { weight: 1, arbitrary: fc.tuple(text, fc.nat()).map(([t, cut]) => {
    const z = gzipSync(Buffer.from(t));
    return z.subarray(0, Math.max(2, cut % (z.length + 1)));
  }) },
  // Valid text with random bytes overwritten.
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(VALID_TICKS, VALID_KLINES), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 })).map(([t, edits]) => {
    const b = Buffer.from(t);
    for (const [at, v] of edits) b[at % b.length] = v;
    return b;
  }) },
);
const readOptions = fc.record({
  format: fc.constantFrom<ReadOptions['format']>('auto', 'tick', 'binance', 'ohlcv', undefined),
  hasHeader: fc.constantFrom<ReadOptions['hasHeader']>('auto', true, false, undefined),
  batchSize: fc.integer({ min: 1, max: 7 }),
  maxMalformedExamples: fc.integer({ min: 0, max: 5 }),
});

/** Splits bytes into chunks at the given cut points (a stream delivers them in any sizes). */
function chunks(b: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...at, b.length]) {
    if (c > prev) out.push(b.subarray(prev, c));
    prev = c;
  }
  return out;
}

const streamOf = (parts: Buffer[]): Readable => Readable.from(parts.length > 0 ? parts : [Buffer.alloc(0)], { objectMode: false });
const isGzip = (b: Buffer): boolean => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
/** Lines of the source's text (of its decompressed content for gzip; a damaged gzip has no count). */
function lineCount(b: Buffer): number {
  let text: Buffer = b;
  if (isGzip(b)) {
    try {
      text = gunzipSync(b);
    } catch {
      return Number.POSITIVE_INFINITY;
    }
  }
  return text.toString('utf8').split(/\r\n|\n|\r/).length;
}

type Outcome<T> = { rows: T[]; stats: ImportStats } | { refused: string };

async function readAll<T>(reader: AsyncIterable<T[]> & { stats: ImportStats }): Promise<Outcome<T>> {
  const rows: T[] = [];
  try {
    for await (const batch of reader) rows.push(...batch);
  } catch (error) {
    // The one allowed refusal: a source whose format cannot be told (not a crash, a clear message).
    if (error instanceof ImportFormatError) return { refused: error.message };
    throw error;
  }
  return { rows, stats: reader.stats };
}

/** Rows and counts agree, and every malformed line is numbered inside the file, in order. */
function checkStats(stats: ImportStats, rows: number, total: number, maxExamples: number): void {
  assert.equal(stats.valid, rows, 'valid = rows returned');
  assert.equal(stats.rows, stats.valid + stats.malformed, 'rows = valid + malformed');
  assert.ok(stats.malformedExamples.length <= Math.min(maxExamples, stats.malformed));
  let last = 0;
  for (const m of stats.malformedExamples) {
    assert.ok(Number.isInteger(m.line) && m.line > last && m.line <= total, `malformed line ${m.line} of ${total}, after ${last}`);
    assert.ok(typeof m.reason === 'string' && m.reason.length > 0);
    last = m.line;
  }
}

const finite = (...xs: number[]): boolean => xs.every((x) => Number.isFinite(x));

describe('property: importers never crash on any bytes', () => {
  it('readTicks: rows or counted, numbered malformed lines; every tick finite, price > 0', async () => {
    const seen = { refused: 0, valid: 0, malformed: 0 };
    await fc.assert(
      fc.asyncProperty(bytes, readOptions, fc.array(fc.nat(), { maxLength: 6 }), async (b, options, cuts) => {
        const out = await readAll<Tick>(readTicks(streamOf(chunks(b, cuts)), { ...options, symbol: 'ES' }));
        if ('refused' in out) {
          seen.refused++;
          return;
        }
        if (out.stats.valid > 0) seen.valid++;
        if (out.stats.malformed > 0) seen.malformed++;
        checkStats(out.stats, out.rows.length, lineCount(b), options.maxMalformedExamples);
        for (const t of out.rows) assert.ok(finite(t.ts, t.price, t.size, t.trades) && t.price > 0 && t.size >= 0, JSON.stringify(t));
      }),
      propertyOptions({ numRuns: 400 }),
    );
    // The generator reaches the parsers (not only the format detection): valid and malformed rows both occur.
    assert.ok(seen.valid >= 20 && seen.malformed >= 20 && seen.refused >= 20, JSON.stringify(seen));
  });

  it('readBars: rows or counted, numbered malformed lines; every bar finite with consistent OHLC', async () => {
    await fc.assert(
      fc.asyncProperty(bytes, readOptions, fc.array(fc.nat(), { maxLength: 6 }), async (b, options, cuts) => {
        const out = await readAll<Bar>(readBars(streamOf(chunks(b, cuts)), { ...options, symbol: 'BTC/USDT' }));
        if ('refused' in out) return;
        checkStats(out.stats, out.rows.length, lineCount(b), options.maxMalformedExamples);
        for (const r of out.rows) {
          assert.ok(finite(r.start, r.open, r.high, r.low, r.close, r.volume, r.intervalMs), JSON.stringify(r));
          assert.ok(r.high >= Math.max(r.open, r.close, r.low) && r.low <= Math.min(r.open, r.close) && r.volume >= 0 && r.intervalMs > 0, JSON.stringify(r));
        }
      }),
      propertyOptions({ numRuns: 400 }),
    );
  });

  it('the columnar tick parser gives readTicks\' rows, counts and malformed lines for any bytes and any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(bytes, readOptions, fc.array(fc.nat(), { maxLength: 6 }), async (b, options, cuts) => {
        fc.pre(!isGzip(b)); // the columnar parser is handed bytes already gunzipped
        const format = options.format === 'binance' || options.format === 'ohlcv' ? 'tick' : options.format;
        const expected = await readAll<Tick>(readTicks(streamOf([b]), { ...options, format, symbol: 'ES' }));
        const parser = new ColumnarTickParser({ symbol: 'ES', format, hasHeader: options.hasHeader, batchSize: options.batchSize, maxMalformedExamples: options.maxMalformedExamples });
        const got: Tick[] = [];
        let refused: string | null = null;
        try {
          const batches = [...chunks(b, cuts).flatMap((c) => parser.push(c)), ...parser.end()];
          for (const batch of batches) for (let i = 0; i < batch.length; i++) got.push({ symbol: 'ES', ts: batch.ts[i] as number, price: batch.price[i] as number, size: batch.size[i] as number, trades: batch.trades[i] as number });
        } catch (error) {
          if (!(error instanceof ImportFormatError)) throw error;
          refused = error.message;
        }
        if ('refused' in expected) {
          assert.equal(refused, expected.refused, 'both refuse the source alike');
          return;
        }
        assert.equal(refused, null, `the columnar parser refused what readTicks read: ${refused}`);
        assert.deepEqual({ ...parser.stats }, { ...expected.stats }, 'same counts and malformed lines');
        assert.deepEqual(got, expected.rows, 'same ticks');
      }),
      propertyOptions({ numRuns: 400 }),
    );
  });
});
