import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { barBatches } from '../../src/backtest/table-batches.js';
import type { BarTable } from '../../src/core/columns.js';
import { seededRandom } from '../../src/core/seeded-random.js';

/** A table of `rows` seeded minute bars. */
function table(rows: number): BarTable {
  const random = seededRandom(7);
  const col = () => new Float64Array(rows);
  const t: BarTable = { kind: 'bars', rows, start: col(), intervalMs: col(), open: col(), high: col(), low: col(), close: col(), volume: col(), trades: col() };
  for (let i = 0; i < rows; i += 1) {
    t.start[i] = Date.UTC(2024, 0, 1) + i * 60_000;
    t.intervalMs[i] = 60_000;
    t.open[i] = 100 + random();
    t.high[i] = 101 + random();
    t.low[i] = 99 - random();
    t.close[i] = 100 + random();
    t.volume[i] = random() * 10;
    t.trades[i] = Math.floor(random() * 50);
  }
  return t;
}

describe('barBatches', () => {
  const t = table(2_500);
  const end = Date.UTC(2024, 0, 1) + 2_500 * 60_000;

  it('the whole table (batches made at their size) gives the same bars and batches as a window covering it', () => {
    for (const batchSize of [1, 7, 1024, 5_000]) {
      const whole = [...barBatches(t, 'BTC/USDT', { batchSize })];
      const windowed = [...barBatches(t, 'BTC/USDT', { batchSize, from: 0, to: end })];
      assert.deepEqual(whole, windowed, `batch size ${batchSize}`);
      assert.equal(whole.reduce((n, b) => n + b.length, 0), 2_500);
      assert.ok(whole.every((b, i) => b.length === Math.min(batchSize, 2_500 - i * batchSize)));
    }
  });

  it('a limit stops at that many bars; the cursor says where the next batches start', () => {
    const cursor = { row: 0 };
    const first = [...barBatches(t, 'BTC/USDT', { batchSize: 300, limit: 1_000 }, cursor)];
    assert.deepEqual(first.map((b) => b.length), [300, 300, 300, 100]);
    assert.equal(cursor.row, 1_000);
    const rest = [...barBatches(t, 'BTC/USDT', { batchSize: 1_000 }, cursor)];
    assert.deepEqual(rest.map((b) => b.length), [1_000, 500]);
    assert.equal(rest[0]?.[0]?.start, t.start[1_000]);
    assert.equal([...barBatches(t, 'BTC/USDT', { batchSize: 10, limit: 0 })].length, 0);
  });
});
