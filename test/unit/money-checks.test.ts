import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { readBars, readTicks } from '../../src/adapters/importers/index.js';
import { ingest } from '../../src/adapters/importers/ingest.js';
import { SqliteMarketStore } from '../../src/adapters/store-sqlite/market-store.js';
import { TradingViewDesk } from '../../src/app/tradingview-desk.js';
import { SimClock } from '../../src/core/clock.js';
import { SequenceIds } from '../../src/core/ids.js';
import { bandProblem, feeProblem, fillProblem, onGrid, priceProblem, qtyProblem, timestampProblem } from '../../src/core/money-checks.js';
import type { Account } from '../../src/core/portfolio-types.js';
import { OrderValidationError } from '../../src/engine/execution-engine.js';
import { LedgerGuardError, Portfolio } from '../../src/engine/portfolio.js';
import { buildHarness, makeFill, makeOrder, registry, tempDir } from './support.js';

const ES = registry().get('ES');
const BTC = registry().get('BTC/USDT');

describe('money checks (core/money-checks)', () => {
  it('prices: finite, above 0, below 1e9, on the tick grid', () => {
    assert.equal(priceProblem(6000.25, ES), null);
    assert.equal(priceProblem(64_123.4, BTC), null);
    assert.equal(priceProblem(0.1 + 0.2, { symbol: 'X', tickSize: 0.1 }), null, 'float noise is not off the grid');
    assert.equal(priceProblem(1e308)?.code, 'too_large');
    assert.equal(priceProblem(1e9)?.code, 'too_large');
    assert.equal(priceProblem(Number.NaN)?.code, 'not_a_number');
    assert.equal(priceProblem(Number.POSITIVE_INFINITY)?.code, 'not_a_number');
    assert.equal(priceProblem('6000')?.code, 'not_a_number');
    assert.equal(priceProblem(0)?.code, 'not_positive');
    assert.equal(priceProblem(-5)?.code, 'not_positive');
    assert.equal(priceProblem(6000.1, ES)?.message, "price 6000.1 is not a multiple of ES's tick size 0.25");
    assert.ok(onGrid(0.003, 0.001) && !onGrid(0.0035, 0.001));
  });

  it('quantities: lot size, min and max of the instrument', () => {
    assert.equal(qtyProblem(3, ES), null);
    assert.equal(qtyProblem(0.003, BTC), null);
    assert.equal(qtyProblem(1e308, ES)?.message, "qty 1e+308 is above ES's maximum 2000");
    assert.equal(qtyProblem(1.5, ES)?.code, 'off_step');
    assert.equal(qtyProblem(0.0005, BTC)?.code, 'off_step');
    assert.equal(qtyProblem(0, ES)?.code, 'not_positive');
    assert.equal(qtyProblem(Number.NaN, ES)?.code, 'not_a_number');
  });

  it('fees: finite and at most maxFeePct of the notional; a band around the last price; timestamps 1990..2100', () => {
    assert.equal(feeProblem(2.25, 6000 * 50, 1), null);
    assert.equal(feeProblem(-0.5, 1000, 1), null, 'a maker rebate');
    assert.equal(feeProblem(-0.5, 1000, 1, false)?.code, 'negative');
    assert.equal(feeProblem(1e308, 300_000, 1)?.code, 'fee_too_large');
    assert.equal(feeProblem(Number.NaN, 300_000, 1)?.code, 'not_a_number');
    assert.equal(bandProblem(6500, 6000, 10), null);
    assert.equal(bandProblem(6700, 6000, 10)?.code, 'out_of_band');
    assert.equal(bandProblem(6700, 6000, 0), null, 'band off');
    assert.equal(bandProblem(6700, undefined, 10), null, 'no last price: no band');
    assert.equal(fillProblem({ price: 6000, qty: 1, fee: 1 }, ES, { lastPrice: 6100 }), null);
    assert.equal(fillProblem({ price: 6000, qty: 1, fee: 1e308 }, ES)?.field, 'fee');
    assert.equal(timestampProblem(Date.UTC(2024, 0, 1)), null);
    assert.equal(timestampProblem(Date.UTC(5000, 0, 1))?.code, 'bad_timestamp');
    assert.equal(timestampProblem(Date.UTC(1989, 11, 31))?.code, 'bad_timestamp');
    assert.equal(timestampProblem(Date.UTC(2100, 0, 1))?.code, 'bad_timestamp');
  });
});

const account = (): Account => ({ id: 'acc', currency: 'USD', leverage: 10, startingBalance: 100_000, balance: 100_000, realizedPnl: 0, fees: 0, dayStartEquity: 100_000, day: '2024-01-01', updatedAt: 0 });

describe('the ledger refuses non-finite results (Portfolio last-line guard)', () => {
  it('a fill whose PnL overflows is refused and leaves the portfolio exactly as it was', () => {
    const p = new Portfolio(account(), registry(), new SequenceIds('P-'), new SequenceIds('T-'));
    const buy = makeOrder({ id: 'O-1', symbol: 'ES', side: 'buy', type: 'market', qty: 2 });
    p.applyFill(makeFill({ id: 'O-1-F1', orderId: 'O-1', symbol: 'ES', side: 'buy', qty: 2, price: 6000, fee: 4.5, ts: 1 }), buy);
    const view = p.view();
    const position = { ...p.position('ES') };
    const sell = makeOrder({ id: 'O-2', symbol: 'ES', side: 'sell', type: 'market', qty: 1 });
    // Finite inputs, infinite result: 1.7e308 points x 50 per point.
    assert.throws(() => p.applyFill(makeFill({ id: 'O-2-F1', orderId: 'O-2', symbol: 'ES', side: 'sell', qty: 1, price: 1.7e308, fee: 0, ts: 2 }), sell), LedgerGuardError);
    assert.throws(() => p.applyFill(makeFill({ id: 'O-2-F2', orderId: 'O-2', symbol: 'ES', side: 'sell', qty: 2, price: 6000, fee: Number.NaN, ts: 2 }), sell), /fee NaN is not a finite number/);
    assert.throws(() => p.applyFill(makeFill({ id: 'O-3-F1', orderId: 'O-3', symbol: 'BTC/USDT', side: 'buy', qty: 1, price: Number.POSITIVE_INFINITY, fee: 0, ts: 2 }), buy), LedgerGuardError);
    assert.deepEqual(p.view(), view);
    assert.deepEqual({ ...p.position('ES') }, position);
    assert.equal(p.position('BTC/USDT'), undefined);
    // Marks with an absurd price are ignored.
    for (const price of [1e308, Number.NaN, Number.POSITIVE_INFINITY, -1]) assert.equal(p.mark('ES', price), undefined);
    assert.deepEqual(p.view(), view);
  });

  it('the execution engine halts the account on such a fill (event, no order afterwards) instead of persisting null', () => {
    const dir = tempDir();
    const h = buildHarness({ file: dir.file('t.db') });
    try {
      h.tick('ES', 6000, Date.UTC(2026, 0, 5));
      const order = h.kernel.placeOrder('test', { accountId: 'paper', botId: 'b', symbol: 'ES', side: 'buy', type: 'limit', price: 5000, purpose: 'entry', qty: 1 });
      h.replay({ kind: 'filled', orderId: order.id, fill: { id: `${order.id}-X`, orderId: order.id, accountId: 'paper', symbol: 'ES', side: 'buy', qty: 1, price: Number.NaN, fee: 0, ts: 1 } });
      const refused = h.events.filter((e) => e.type === 'fill-refused');
      assert.equal(refused.length, 1);
      assert.match(refused[0]?.type === 'fill-refused' ? refused[0].reason : '', /price must be a finite number/);
      assert.equal(h.kernel.execution.halted() !== null, true);
      assert.equal(h.store.recentFills(10).length, 0);
      const saved = h.store.restore('paper').account;
      assert.equal(saved?.balance, 100_000);
      assert.throws(
        () => h.kernel.placeOrder('test', { accountId: 'paper', botId: 'b', symbol: 'ES', side: 'buy', type: 'market', purpose: 'entry', qty: 1 }),
        (e: unknown) => e instanceof OrderValidationError && /halted/.test(e.message),
      );
    } finally {
      h.store.close();
      dir.cleanup();
    }
  });

  it('place() refuses non-finite and absurd quantities and prices from any source', () => {
    const dir = tempDir();
    const h = buildHarness({ file: dir.file('t.db') });
    try {
      const base = { accountId: 'paper', botId: 'b', symbol: 'ES', side: 'buy' as const, purpose: 'entry' as const };
      for (const [request, reason] of [
        [{ ...base, type: 'market' as const, qty: 1e308 }, /above ES's maximum 2000/],
        [{ ...base, type: 'market' as const, qty: Number.NaN }, /finite number/],
        [{ ...base, type: 'market' as const, qty: Number.POSITIVE_INFINITY }, /finite number/],
        [{ ...base, type: 'limit' as const, qty: 1, price: 1e308 }, /out of range/],
        [{ ...base, type: 'stop' as const, qty: 1, stopPrice: Number.POSITIVE_INFINITY }, /stop/],
      ] as const) {
        assert.throws(() => h.kernel.placeOrder('test', request), (e: unknown) => e instanceof OrderValidationError && reason.test(e.message), JSON.stringify(request));
      }
      assert.equal(h.store.listOrders({ limit: 10 }).length, 0, 'nothing stored');
    } finally {
      h.store.close();
      dir.cleanup();
    }
  });
});

describe('TradingView webhook prices', () => {
  it('a heartbeat price of 1e308, Infinity or off the tick is refused (400) and not kept', () => {
    const store = { recordRenkoBar: () => true, recentRenkoBars: () => [] };
    const desk = new TradingViewDesk({ clock: new SimClock(1_000), store, secret: 's', assets: ['ES'], onBar: () => {}, onLevelExit: () => ({}), instrument: (a) => registry().find(a) });
    for (const price of [1e308, 'Infinity', -1, 6000.1, 'abc']) {
      const r = desk.heartbeat({ secret: 's', symbol: 'ES', price });
      assert.ok(!r.ok && r.status === 400, `${String(price)}: ${JSON.stringify(r)}`);
    }
    assert.equal((desk.snapshot().ES as { last_price: number | null }).last_price, null);
    const ok = desk.heartbeat({ secret: 's', symbol: 'ES', price: '6000.25' });
    assert.ok(ok.ok && ok.body.last_price === 6000.25);
  });
});

async function all<T>(it: AsyncIterable<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const b of it) out.push(...b);
  return out;
}

describe('importers count out-of-range rows as malformed, with line numbers', () => {
  const rows = [
    'timestamp,price,volume', // 1 (header)
    '2025-01-02 14:30:00.000,100,1', // 2 ok
    '2025-01-02 14:30:01.000,1e308,1', // 3 price 1e308
    '2025-01-02 14:30:02.000,1000000000,1', // 4 price >= 1e9
    '5000-01-01 00:00:00.000,100,1', // 5 year 5000
    '95617584000000,100,1', // 6 epoch ms of 5000 (read as microseconds: 1973)
    '2025-01-02 14:30:03.000,-2,1', // 7 price <= 0
    '2025-01-02 14:30:04.000,100,-3', // 8 negative volume
    '1989-12-31T23:59:59Z,100,1', // 9 before 1990
    '2025-01-02 14:30:05.000,101,2', // 10 ok
  ];
  const text = `${rows.join('\n')}\n`;
  const expected = [3, 4, 5, 6, 7, 8, 9];

  it('the tick line reader', async () => {
    const reader = readTicks(Readable.from([Buffer.from(text)]), { symbol: 'ES' });
    const ticks = await all(reader);
    assert.deepEqual(ticks.map((t) => t.price), [100, 101]);
    assert.deepEqual(reader.stats.malformedExamples.map((m) => m.line), expected);
    assert.match(reader.stats.malformedExamples[0]?.reason ?? '', /out of range/);
    assert.match(reader.stats.malformedExamples[2]?.reason ?? '', /bad timestamp|outside 1990/);
    assert.match(reader.stats.malformedExamples[5]?.reason ?? '', /volume/);
  });

  it('the columnar ingest, on this thread (small file) and in the parser worker (stream)', async () => {
    const dir = tempDir();
    try {
      const path = dir.file('ticks.csv');
      writeFileSync(path, text);
      for (const source of [path, Readable.from([Buffer.from(text)])]) {
        const store = new SqliteMarketStore({ file: ':memory:' });
        const summary = await ingest(source, store, 'tick', { symbol: 'ES' });
        assert.deepEqual([summary.totalRows, summary.inserted, summary.malformed], [9, 2, 7], typeof source);
        assert.deepEqual(summary.malformedExamples.map((m) => m.line), expected, typeof source);
        const stored = await all(store.readTicks('ES'));
        assert.deepEqual(stored.map((t) => [t.price, new Date(t.ts).getUTCFullYear()]), [[100, 2025], [101, 2025]]);
        store.close();
      }
    } finally {
      dir.cleanup();
    }
  });

  it('bars: Binance klines in the year 5000 or at 1e308, generic OHLCV out of range', async () => {
    const ok = '1704067200000,42283.58,42298.62,42261.02,42298.61,35.92724,1704067259999,1519573.9,1327,17.6,744000.1,0';
    const y5000 = '95617584000000,1,1,1,1,1,95617584059999,1,1,1,1,0';
    const huge = '1704067260000,1e308,1e308,1e308,1e308,1,1704067319999,1,1,1,1,0';
    const reader = readBars(Readable.from([Buffer.from(`${ok}\n${y5000}\n${huge}\n`)]), { symbol: 'BTC/USDT' });
    const bars = await all(reader);
    assert.equal(bars.length, 1);
    assert.deepEqual(reader.stats.malformedExamples.map((m) => m.line), [2, 3]);
    const generic = readBars(Readable.from([Buffer.from('time,open,high,low,close,volume\n2024-01-01 00:00:00,1,2,0.5,1.5,10\n2024-01-01 00:01:00,1,2e9,0.5,1.5,10\n2024-01-01 00:02:00,1,2,0.5,1.5,-1\n')]), { symbol: 'ES' });
    assert.equal((await all(generic)).length, 1);
    assert.deepEqual(generic.stats.malformedExamples.map((m) => m.line), [3, 4]);
  });
});
