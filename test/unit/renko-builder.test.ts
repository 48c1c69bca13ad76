import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RenkoBar } from '../../src/core/renko.js';
import { RenkoBuilder } from '../../src/engine/renko-builder.js';

const build = (size: 4 | 6, prices: number[]) => {
  const bars: RenkoBar[] = [];
  const b = new RenkoBuilder('ES', size, (bar) => bars.push(bar));
  prices.forEach((p, i) => b.onPrice(p, i));
  return bars;
};

describe('RenkoBuilder', () => {
  it('forms bricks of the size in the trend direction, several from one jump', () => {
    // anchor floor(6001/4)*4 = 6000; 6004 -> brick 6000-6004; 6013 -> two more (6008, 6012)
    const bars = build(4, [6001, 6003, 6004, 6013]);
    assert.deepEqual(bars.map((b) => [b.color, b.open, b.close, b.ts]), [
      ['green', 6000, 6004, 2],
      ['green', 6004, 6008, 3],
      ['green', 6008, 6012, 3],
    ]);
    assert.deepEqual(bars.map((b) => b.barId), ['ES-4-1', 'ES-4-2', 'ES-4-3']);
  });

  it('needs two bricks of distance to reverse, and the reversal brick opens at the far side', () => {
    // up to 6012, then 6005 (only 7 down: no brick), 6004 (8 down: red 6008 -> 6004)
    const bars = build(4, [6000, 6012, 6005, 6004, 5999, 5996]);
    assert.deepEqual(bars.map((b) => [b.color, b.open, b.close]), [
      ['green', 6000, 6004],
      ['green', 6004, 6008],
      ['green', 6008, 6012],
      ['red', 6008, 6004],
      ['red', 6004, 6000],
      ['red', 6000, 5996],
    ]);
  });

  it('works with fractional sizes on the point grid', () => {
    const bars: RenkoBar[] = [];
    const b = new RenkoBuilder('NQ', 2.5, (bar) => bars.push(bar));
    for (const p of [21000, 21002.25, 21002.5, 20996.25]) b.onPrice(p, 0);
    assert.deepEqual(bars.map((x) => [x.color, x.open, x.close]), [
      ['green', 21000, 21002.5],
      ['red', 21000, 20997.5],
    ]);
  });
});
