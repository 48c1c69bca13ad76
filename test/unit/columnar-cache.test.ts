// The columnar cache: tables equal to the line reader's parse value for value (bit for bit),
// invalidation by content (touch keeps the table, a content change rebuilds it), corrupted or
// truncated table files rebuilt rather than trusted, and backtests identical with and without it.
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, existsSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ColumnarCache } from '../../src/adapters/columnar-cache/cache.js';
import { buildTable } from '../../src/adapters/columnar-cache/build.js';
import { KlineByteParser } from '../../src/adapters/columnar-cache/kline-bytes.js';
import { readTableFile, TableFileError } from '../../src/adapters/columnar-cache/table-file.js';
import { readBars, readTicks } from '../../src/adapters/importers/index.js';
import { runBacktestJob, type JobReport } from '../../src/backtest/job.js';
import type { BarTable, MarketTable, TickTable } from '../../src/core/columns.js';
import { repoRoot, tempDir } from '../helpers/server.js';

const DATA = join(repoRoot, '..', 'shared', 'data', 'binance');
const JAN_2025 = join(DATA, 'BTCUSDT-1m-2025-01.csv.gz');
const YEAR_2024 = join(DATA, 'BTCUSDT-1m-2024.csv.gz');

const BAR_FIELDS = ['start', 'intervalMs', 'open', 'high', 'low', 'close', 'volume', 'trades'] as const;

/** Every bar of the table against the line reader's, bit for bit (Object.is: -0 and NaN too). */
async function assertSameBars(source: string | Buffer, table: BarTable, label: string) {
  const path = typeof source === 'string' ? source : null;
  const reader = path ? readBars(path, { symbol: 'X', batchSize: 65_536 }) : readBars(bufferStream(source as Buffer), { symbol: 'X', batchSize: 65_536 });
  let i = 0;
  for await (const batch of reader) {
    for (const bar of batch) {
      for (const f of BAR_FIELDS) if (!Object.is(table[f][i], bar[f])) assert.fail(`${label}: row ${i} ${f}: table ${table[f][i]} vs reader ${bar[f]}`);
      i++;
    }
  }
  assert.equal(table.rows, i, `${label}: row count`);
  return reader.stats;
}

const bufferStream = (b: Buffer) => Readable.from([b]);

/** A kline line as Binance writes it (ms open time, 8 decimals). */
const kline = (t: number, o: string, h: string, l: string, c: string, v = '1.50000000', n = '10') => `${t},${o},${h},${l},${c},${v},${t + 59_999},100.0,${n},0.5,50.0,0`;

describe('columnar cache: values', () => {
  it('a real month of klines (microsecond open times, 44,640 bars) equals the line reader bit for bit', { skip: !existsSync(JAN_2025) && `no ${JAN_2025}` }, async () => {
    const built = await buildTable(JAN_2025, 'bars');
    assert.equal(built.table.rows, 44_640);
    const stats = await assertSameBars(JAN_2025, built.table as BarTable, 'Jan 2025');
    const { symbol: _s, ...expected } = stats;
    assert.deepEqual(built.input, expected);
  });

  it('the 527,040 bars of 2024 equal the line reader bit for bit', { skip: !existsSync(YEAR_2024) && `no ${YEAR_2024}` }, async () => {
    const built = await buildTable(YEAR_2024, 'bars');
    assert.equal(built.table.rows, 527_040);
    await assertSameBars(YEAR_2024, built.table as BarTable, '2024');
  });

  it('odd rows (malformed, CRLF, BOM, blanks, signs, exponents, long digits, no final newline) as the line reader, counts and reasons too', async () => {
    const t = 1_704_067_200_000;
    const lines = [
      '\ufeff' + kline(t, '42283.58000000', '42298.62000000', '42261.02000000', '42298.61000000'),
      kline(t + 60_000, '1', '2', '0.5', '1.5') + '\r',
      '',
      '   ',
      kline(t + 120_000, '1e2', '200', '50', '100'), // exponent: the line reader's path
      kline(t + 180_000, '+100', '200', '50', '100'), // sign: the line reader's path
      kline(t + 240_000, '100', '90', '50', '100'), // high below open: malformed
      kline(t + 300_000, '-1', '2', '0.5', '1'), // negative: malformed
      kline(t + 360_000, 'abc', '2', '0.5', '1'), // not a number: malformed
      `${t + 420_000},1,2,0.5,1.5,1`, // too few columns
      kline(t + 480_000, '0.00012300', '0.00012400', '0.00012200', '0.00012300', '12345678901234.5678'), // 18 digits of volume
      kline(t + 540_000, '123456789.123456789', '123456790', '123456789', '123456789.5'), // beyond 2^53 mantissa
      kline(t + 600_000, ' 100', '200', '50', '100'), // leading space
      kline(t + 660_000, '100', '200', '50', '100', '', '3'), // empty volume
      kline(t + 720_000, '100', '200', '50', '100', '1', '2.5'), // fractional trade count
      kline(t + 780_000, '100.', '200.0', '.5e2', '100'),
      kline(t + 840_000, '5', '6', '4', '5'), // no final newline
    ];
    const text = Buffer.from(lines.join('\n'));
    for (const chunk of [1, 2, 7, 64, 1 << 20]) {
      const p = new KlineByteParser();
      for (let i = 0; i < text.length; i += chunk) p.push(text.subarray(i, i + chunk));
      p.end();
      const stats = await assertSameBars(text, p.out.table() as BarTable, `chunks of ${chunk}`);
      const { symbol: _s, ...expected } = stats;
      assert.deepEqual(p.stats, expected, `chunks of ${chunk}: stats`);
      assert.ok(stats.malformed >= 5, `${stats.malformed} malformed rows`);
      assert.ok(p.slowLines <= 13, `${p.slowLines} lines took the slow path`);
    }
  });

  it('random decimals read as Number() reads them (fast-check, seeded)', async () => {
    const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
    const decimal = fc.tuple(digits(1, 12), fc.option(digits(1, 12))).map(([a, b]) => (b === null ? a.replace(/^0+(?=\d)/, '') || '0' : `${a}.${b}`));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(decimal, decimal), { minLength: 1, maxLength: 40 }), async (rows) => {
        const t0 = 1_704_067_200_000;
        // Price p for open/high/low/close (always consistent), the other decimal as volume.
        const text = Buffer.from(rows.map(([p, v], i) => kline(t0 + i * 60_000, p, p, p, p, v)).join('\n') + '\n');
        const parser = new KlineByteParser();
        parser.push(text);
        parser.end();
        await assertSameBars(text, parser.out.table() as BarTable, 'random');
        // The fast reader takes mantissas (trailing fraction zeros dropped) up to 2^53 - 1.
        const fast = (d: string) => {
          const [a, b = ''] = d.split('.');
          return BigInt(`${a}${b.replace(/0+$/, '')}`) <= BigInt(Number.MAX_SAFE_INTEGER);
        };
        const slow = rows.slice(1).filter(([p, v]) => !(Number(p) > 0 && Number(p) < 1e9) || !fast(p) || !fast(v)).length;
        assert.equal(parser.slowLines, 1 + slow, 'only the first line, out-of-range prices and long mantissas take the slow path');
      }),
      { seed: 15, numRuns: 300 },
    );
  });

  it('a tick file gives the ticks of the line reader', async () => {
    const dir = tempDir('tw-colcache-');
    const file = join(dir, 'ticks.csv.gz');
    const rows = ['timestamp,price,volume'];
    for (let i = 0; i < 5000; i++) rows.push(`${1_704_067_200_000 + i * 250},${(42_000 + Math.sin(i) * 50).toFixed(2)},${(i % 7) + 0.5}`);
    rows.push('bad,row,here');
    writeFileSync(file, gzipSync(rows.join('\n') + '\n'));
    const built = await buildTable(file, 'ticks');
    const t = built.table as TickTable;
    let i = 0;
    const reader = readTicks(file, { symbol: 'X', format: 'tick' });
    for await (const batch of reader) {
      for (const tick of batch) {
        for (const f of ['ts', 'price', 'size', 'trades'] as const) assert.ok(Object.is(t[f][i], tick[f]), `row ${i} ${f}`);
        i++;
      }
    }
    assert.equal(t.rows, 5000);
    assert.equal(i, 5000);
    assert.equal(built.input.malformed, 1);
    assert.deepEqual(built.input.malformedExamples, reader.stats.malformedExamples);
  });
});

/** A small kline file (gzip) of `n` bars starting at `t0`. */
function writeKlines(file: string, n: number, t0 = 1_704_067_200_000, base = 100) {
  const rows = [];
  for (let i = 0; i < n; i++) {
    const p = base + (i % 17) - (i % 5) * 0.25;
    rows.push(kline(t0 + i * 60_000, p.toFixed(2), (p + 1).toFixed(2), (p - 1).toFixed(2), (p + 0.5).toFixed(2)));
  }
  writeFileSync(file, gzipSync(rows.join('\n') + '\n'));
}

const sameTable = (a: MarketTable, b: MarketTable) => {
  assert.equal(a.rows, b.rows);
  for (const f of BAR_FIELDS) assert.deepEqual(Array.from((a as BarTable)[f]), Array.from((b as BarTable)[f]), f);
};

describe('columnar cache: invalidation and integrity', () => {
  it('first read builds, the next one hits; touch keeps the table; a content change rebuilds it and drops the old one', async () => {
    const dir = tempDir('tw-colcache-');
    const file = join(dir, 'BTCUSDT-1m-test.csv.gz');
    writeKlines(file, 2000);
    const cache = new ColumnarCache(join(dir, 'cache'));
    const first = await cache.load(file, 'bars');
    assert.equal(first.status, 'built');
    assert.equal(first.table.rows, 2000);
    assert.ok(existsSync(first.file));
    const second = await cache.load(file, 'bars');
    assert.equal(second.status, 'hit');
    assert.ok((second.table as BarTable).start.buffer instanceof SharedArrayBuffer, 'a hit is read into shared memory');
    sameTable(first.table, second.table);

    // touch: new times, same bytes -> the hash is taken again and the same table is used.
    const later = new Date(statSync(file).mtimeMs + 5_000);
    utimesSync(file, later, later);
    const touched = await cache.load(file, 'bars');
    assert.equal(touched.status, 'hit');
    assert.equal(touched.sha256, first.sha256);

    // New content -> rebuilt.
    writeKlines(file, 2000, 1_704_067_200_000, 101);
    const changed = await cache.load(file, 'bars');
    assert.equal(changed.status, 'rebuilt');
    assert.notEqual(changed.sha256, first.sha256);
    assert.equal((changed.table as BarTable).open[0], 101);
    assert.ok(!existsSync(first.file), 'the old content\'s table is removed');

    // Appended rows -> rebuilt with them.
    appendFileSync(file, gzipSync(`${kline(1_704_067_200_000 + 2000 * 60_000, '7', '8', '6', '7')}\n`));
    const appended = await cache.load(file, 'bars');
    assert.equal(appended.status, 'rebuilt');
    assert.equal(appended.table.rows, 2001);
    assert.equal((appended.table as BarTable).close[2000], 7);
    assert.equal((await cache.load(file, 'bars')).status, 'hit');
  });

  it('same size and the old mtime but other bytes: rebuilt (the change of ctime is seen)', async () => {
    const dir = tempDir('tw-colcache-');
    const file = join(dir, 'klines.csv');
    const t = 1_704_067_200_000;
    writeFileSync(file, `${kline(t, '100.00', '101.00', '99.00', '100.50')}\n${kline(t + 60_000, '100.50', '102.00', '100.00', '101.00')}\n`);
    utimesSync(file, 1_700_000_000, 1_700_000_000); // whole seconds: set back exactly below
    const cache = new ColumnarCache(join(dir, 'cache'));
    assert.equal((await cache.load(file, 'bars')).status, 'built');
    const before = statSync(file);
    writeFileSync(file, readFileSync(file, 'utf8').replace('101.00,99.00', '101.00,98.00'));
    utimesSync(file, 1_700_000_000, 1_700_000_000);
    assert.equal(statSync(file).size, before.size);
    assert.equal(statSync(file).mtimeMs, before.mtimeMs);
    const changed = await cache.load(file, 'bars');
    assert.equal(changed.status, 'rebuilt');
    assert.equal((changed.table as BarTable).low[0], 98);
  });

  it('a corrupted or truncated table file is detected and rebuilt, never trusted', async () => {
    const dir = tempDir('tw-colcache-');
    const file = join(dir, 'klines.csv.gz');
    writeKlines(file, 3000);
    const cache = new ColumnarCache(join(dir, 'cache'));
    const built = await cache.load(file, 'bars');
    const good = readFileSync(built.file);

    // One flipped bit in the middle of the columns: the CRC catches it.
    const bad = Buffer.from(good);
    bad[Math.floor(bad.length / 2)] = (bad[Math.floor(bad.length / 2)] as number) ^ 0x10;
    writeFileSync(built.file, bad);
    assert.throws(() => readTableFile(built.file), (e: unknown) => e instanceof TableFileError && /checksum/.test(e.message));
    const afterFlip = await cache.load(file, 'bars');
    assert.equal(afterFlip.status, 'rebuilt');
    assert.match(afterFlip.reason ?? '', /checksum/);
    sameTable(afterFlip.table, built.table);
    assert.deepEqual(readFileSync(built.file), good, 'the rebuilt file is the original one');

    // Truncated: the size no longer matches the header.
    truncateSync(built.file, good.length - 100);
    const afterCut = await cache.load(file, 'bars');
    assert.equal(afterCut.status, 'rebuilt');
    assert.match(afterCut.reason ?? '', /truncated/);
    sameTable(afterCut.table, built.table);

    // Garbage in place of the file.
    writeFileSync(built.file, 'not a table');
    const afterJunk = await cache.load(file, 'bars');
    assert.equal(afterJunk.status, 'rebuilt');
    sameTable(afterJunk.table, built.table);
    assert.equal((await cache.load(file, 'bars')).status, 'hit');
  });

  it('a table of another source is refused even under the right name', async () => {
    const dir = tempDir('tw-colcache-');
    const a = join(dir, 'a.csv.gz');
    const b = join(dir, 'b.csv.gz');
    writeKlines(a, 100);
    writeKlines(b, 200, 1_704_067_200_000, 300);
    const cache = new ColumnarCache(join(dir, 'cache'));
    const la = await cache.load(a, 'bars');
    const lb = await cache.load(b, 'bars');
    copyFileSync(lb.file, la.file); // b's table under a's content hash
    const again = await cache.load(a, 'bars');
    assert.equal(again.status, 'rebuilt');
    assert.equal(again.table.rows, 100);
  });
});

describe('columnar cache: backtests', () => {
  it('a backtest through the cache (built, then hit) reports exactly what the streaming parse does', { skip: !existsSync(JAN_2025) && `no ${JAN_2025}` }, async () => {
    const dir = tempDir('tw-colcache-');
    const spec = {
      config: { instrument: 'BTC/USDT', strategy: { name: 'sma-cross' as const, fast: 10, slow: 30, size: 1, longOnly: false }, cash: 1_000_000 },
      data: { kind: 'file' as const, path: JAN_2025, from: Date.UTC(2025, 0, 3), limit: 30_000 },
    };
    const strip = (r: JobReport) => {
      // input: the streaming parse stops reading at the limit; the cache reads the whole file.
      const { kernelMs: _k, loadMs: _l, barsPerSecond: _b, ticksPerSecond: _t, cache: _c, input: _i, ...rest } = r;
      return rest;
    };
    const plain = await runBacktestJob(spec);
    const built = await runBacktestJob({ ...spec, cacheDir: dir });
    const hit = await runBacktestJob({ ...spec, cacheDir: dir });
    assert.equal(built.cache?.status, 'built');
    assert.equal(hit.cache?.status, 'hit');
    assert.ok(plain.closedTrades > 100);
    assert.equal(plain.bars, 30_000);
    assert.deepEqual(strip(built), strip(plain));
    assert.deepEqual(strip(hit), strip(plain));
  });

  it('a generic OHLCV file (read whole by the line reader) and a tick file run the same through the cache', async () => {
    const dir = tempDir('tw-colcache-');
    const bars = join(dir, 'bars.csv');
    const rows = ['time,open,high,low,close,volume'];
    for (let i = 0; i < 3000; i++) {
      const p = 100 + Math.round(Math.sin(i / 7) * 500) / 100;
      rows.push(`${new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString()},${p},${p + 0.5},${p - 0.5},${p + 0.25},${10 + (i % 3)}`);
    }
    writeFileSync(bars, rows.join('\n') + '\n');
    const ticks = join(dir, 'ticks.csv');
    const t = ['timestamp,price,volume'];
    for (let i = 0; i < 20_000; i++) t.push(`${Date.UTC(2024, 0, 1) + i * 1000},${(4200 + Math.round(Math.sin(i / 50) * 2000) / 100).toFixed(2)},1`);
    writeFileSync(ticks, t.join('\n') + '\n');
    const strip = (r: JobReport) => {
      const { kernelMs: _k, loadMs: _l, barsPerSecond: _b, ticksPerSecond: _t, cache: _c, ...rest } = r;
      return rest;
    };
    const config = { instrument: 'ES', strategy: { name: 'sma-cross' as const, fast: 5, slow: 20, size: 1 }, cash: 1_000_000 };
    for (const data of [{ kind: 'file' as const, path: bars }, { kind: 'tick-file' as const, path: ticks }]) {
      const plain = await runBacktestJob({ config, data });
      const built = await runBacktestJob({ config, data, cacheDir: join(dir, 'cache') });
      const hit = await runBacktestJob({ config, data, cacheDir: join(dir, 'cache') });
      assert.deepEqual([built.cache?.status, hit.cache?.status], ['built', 'hit']);
      assert.ok(plain.closedTrades > 5, `${data.kind}: ${plain.closedTrades} trades`);
      assert.deepEqual(strip(built), strip(plain), data.kind);
      assert.deepEqual(strip(hit), strip(plain), data.kind);
    }
  });
});
