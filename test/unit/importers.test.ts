import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { test } from 'node:test';
import { readBars, readTicks } from '../../src/adapters/importers/index.js';
import { ingest } from '../../src/adapters/importers/ingest.js';
import { SqliteMarketStore } from '../../src/adapters/store-sqlite/market-store.js';
import { repoRoot } from '../helpers/server.js';
import type { Bar, Tick } from '../../src/core/market.js';

const binance = join(repoRoot, '..', 'shared', 'data', 'binance');
const dir = mkdtempSync(join(tmpdir(), 'tw-import-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

async function all<T>(it: AsyncIterable<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const b of it) out.push(...b);
  return out;
}

test('Binance 2024 klines: 527,040 bars, exact first and last', async () => {
  const reader = readBars(join(binance, 'BTCUSDT-1m-2024.csv.gz'), { batchSize: 50_000 });
  let n = 0;
  let first: Bar | undefined, last: Bar | undefined;
  for await (const b of reader) {
    first ??= b[0];
    last = b[b.length - 1];
    n += b.length;
  }
  assert.equal(n, 527_040);
  assert.equal(reader.stats.malformed, 0);
  assert.equal(reader.stats.format, 'binance');
  assert.deepEqual(first, { symbol: 'BTC/USDT', start: 1704067200000, intervalMs: 60_000, open: 42283.58, high: 42298.62, low: 42261.02, close: 42298.61, volume: 35.92724, trades: 1327 });
  assert.deepEqual(last, { symbol: 'BTC/USDT', start: 1735689540000, intervalMs: 60_000, open: 93600.01, high: 93616.05, low: 93576, close: 93576, volume: 5.48662, trades: 1062 });
});

test('Binance 2025-01 klines: microsecond open times detected, 44,640 bars', async () => {
  const bars = await all(readBars(join(binance, 'BTCUSDT-1m-2025-01.csv.gz')));
  assert.equal(bars.length, 44_640);
  assert.deepEqual(bars[0], { symbol: 'BTC/USDT', start: 1735689600000, intervalMs: 60_000, open: 93576, high: 93610.93, low: 93537.5, close: 93610.93, volume: 8.21827, trades: 2631 });
  assert.equal(bars[bars.length - 1]?.start, 1738367940000);
  assert.equal(bars[bars.length - 1]?.close, 102429.56);
  for (let i = 1; i < bars.length; i++) assert.equal((bars[i] as Bar).start - (bars[i - 1] as Bar).start, 60_000);
});

test('tick CSV with a header, and the same data without one, from a gzip stream', async () => {
  const rows = ['2025-01-02 14:30:00.000,21000.25,1,B', '2025-01-02 14:30:00.000,21000.25,1,B', '2025-01-02T14:30:00.125Z,21000.50,3,S', '1735828200250,21000.75,2'];
  const withHeader = await all(readTicks(file('nq.csv', `timestamp,price,volume,side\n${rows.join('\n')}\n`), { symbol: 'NQ' }));
  const without = await all(readTicks(Readable.from([gzipSync(`${rows.join('\r\n')}\r\n`)]), { symbol: 'NQ', hasHeader: false }));
  assert.equal(withHeader.length, 4);
  assert.deepEqual(withHeader, without);
  assert.deepEqual(withHeader[2], { symbol: 'NQ', ts: Date.UTC(2025, 0, 2, 14, 30, 0, 125), price: 21000.5, size: 3, trades: 1 } satisfies Tick);
  assert.equal(withHeader[3]?.ts, 1735828200250);
  // Header detection in auto mode, separate date and time columns, semicolons, epoch ns and us.
  const auto = await all(readTicks(file('es.txt', 'Date;Time;Last;Volume\n2025-01-02;09:30:00.5;5900.25;4\n'), { symbol: 'ES' }));
  assert.deepEqual(auto, [{ symbol: 'ES', ts: Date.UTC(2025, 0, 2, 9, 30, 0, 500), price: 5900.25, size: 4, trades: 1 }]);
  const epochs = await all(readTicks(file('e.csv', '1735828200250123456,1,1\n1735828200250123,1,1\n1735828200,1,1\n'), { symbol: 'ES' }));
  assert.deepEqual(epochs.map((t) => t.ts), [1735828200250, 1735828200250, 1735828200000]);
});

test('generic OHLCV with a header; interval inferred', async () => {
  const text = 'Date,Open,High,Low,Close,Volume\n2024-01-01 00:00:00,1,2,0.5,1.5,10\n2024-01-01 00:05:00,1.5,2,1,1.2,5\n2024-01-01 00:10:00,1.2,1.3,1.1,1.25,7\n';
  const reader = readBars(file('bars.csv', text), { symbol: 'ES' });
  const bars = await all(reader);
  assert.equal(reader.stats.format, 'ohlcv');
  assert.equal(bars.length, 3);
  assert.deepEqual(bars[1], { symbol: 'ES', start: Date.UTC(2024, 0, 1, 0, 5), intervalMs: 300_000, open: 1.5, high: 2, low: 1, close: 1.2, volume: 5, trades: 0 });
});

test('malformed rows are counted with line numbers and never stored', async () => {
  const store = new SqliteMarketStore({ file: ':memory:' });
  const text = ['timestamp,price,volume', '2025-01-02 14:30:00.000,100,1', 'garbage', '2025-01-02 14:30:01.000,abc,1', '', '2025-13-40 00:00:00,100,1', '2025-01-02 14:30:02.000,100,', '2025-01-02 14:30:03.000,101,2'].join('\n');
  const summary = await ingest(file('bad.csv', text), store, 'tick', { symbol: 'ES' });
  assert.equal(summary.totalRows, 6);
  assert.equal(summary.inserted, 2);
  assert.equal(summary.malformed, 4);
  assert.deepEqual(summary.malformedExamples.map((m) => m.line), [3, 4, 6, 7]);
  assert.match(summary.malformedExamples[1]?.reason ?? '', /price/);
  const stored = await all(store.readTicks('ES'));
  assert.deepEqual(stored.map((t) => t.price), [100, 101]);
  store.close();
});

test('re-import counts duplicates exactly; identical prints in one file are kept', async () => {
  const store = new SqliteMarketStore({ file: ':memory:' });
  const lines = ['1735828200000,100,1', '1735828200000,100,1', '1735828200000,99.75,1', '1735828200001,100,2'];
  const path = file('dups.csv', `${lines.join('\n')}\n`);
  const first = await ingest(path, store, 'tick', { symbol: 'NQ', batchSize: 3 });
  assert.deepEqual([first.inserted, first.skipped], [4, 0]);
  const again = await ingest(path, store, 'tick', { symbol: 'NQ', batchSize: 2 });
  assert.deepEqual([again.inserted, again.skipped], [0, 4]);
  // An overlapping file: two rows already stored, one new identical print (the third), one new row.
  const overlap = await ingest(file('ov.csv', '1735828200000,100,1\n1735828200000,100,1\n1735828200000,100,1\n1735828200002,101,1\n'), store, 'tick', { symbol: 'NQ' });
  assert.deepEqual([overlap.inserted, overlap.skipped], [2, 2]);
  const stored = await all(store.readTicks('NQ', {}, 2));
  assert.equal(stored.length, 6);
  // Source order within a millisecond is kept.
  assert.deepEqual(stored.slice(0, 3).map((t) => t.price), [100, 100, 99.75]);
  assert.deepEqual(await store.tickRange('NQ'), { symbol: 'NQ', kind: 'tick', count: 6, first: 1735828200000, last: 1735828200002 });
  // Bars: same (symbol, interval, start) is a duplicate; without skipping, it is overwritten.
  const bar: Bar = { symbol: 'ES', start: 0, intervalMs: 60_000, open: 1, high: 1, low: 1, close: 1, volume: 1, trades: 1 };
  assert.deepEqual(await store.insertBars([bar, { ...bar, start: 60_000 }]), { inserted: 2, skipped: 0 });
  assert.deepEqual(await store.insertBars([bar]), { inserted: 0, skipped: 1 });
  assert.deepEqual(await store.insertBars([{ ...bar, close: 2 }], { skipDuplicates: false }), { inserted: 1, skipped: 0 });
  assert.equal((await all(store.readBars('ES', 60_000)))[0]?.close, 2);
  store.close();
});

test('a whole Binance file through the store: counts, then all skipped on re-import', async () => {
  const store = new SqliteMarketStore({ file: ':memory:' });
  const path = join(binance, 'BTCUSDT-1m-2025-01.csv.gz');
  const a = await ingest(path, store, 'bar', {});
  assert.deepEqual([a.totalRows, a.inserted, a.skipped], [44_640, 44_640, 0]);
  const b = await ingest(path, store, 'bar', {});
  assert.deepEqual([b.inserted, b.skipped], [0, 44_640]);
  let n = 0;
  for await (const batch of store.readBars('BTC/USDT', 60_000, { from: Date.UTC(2025, 0, 2), to: Date.UTC(2025, 0, 3) }, 500)) n += batch.length;
  assert.equal(n, 1440);
  store.close();
});

// Found by the importer property test (test/unit/property-importers.test.ts): the bytes 1f 8b (the
// gzip magic) and nothing else threw zlib's raw Z_DATA_ERROR, which callers that classify errors
// (the Max backtest route, the backtest jobs) answered as an internal error.
test('a damaged or truncated .gz is an ImportFormatError, not a raw zlib error', async () => {
  const whole = gzipSync(Buffer.from('timestamp,price,size\n2024-01-02 09:30:00,5000,1\n'.repeat(200)));
  for (const bytes of [Buffer.from([0x1f, 0x8b]), Buffer.from([0x1f, 0x8b, 1, 2, 3]), whole.subarray(0, 30)]) {
    await assert.rejects(all(readTicks(Readable.from([bytes]), { symbol: 'ES' })), (e: Error) => e.name === 'ImportFormatError' && /not a readable gzip file/.test(e.message));
  }
  assert.equal((await all(readTicks(Readable.from([whole]), { symbol: 'ES' }))).length, 200, 'the whole file reads');
});
