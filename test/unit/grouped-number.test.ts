import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupedNumber } from '../../src/cli/grouped-number.js';

describe('groupedNumber (en-US grouping without Intl)', () => {
  it("prints what toLocaleString('en-US') prints for whole numbers and money", () => {
    const values = [0, 1, 12, 123, 999, 1_000, 9_999, 10_000, 123_456, 1_000_000, 527_040, 2_332_315, 1e15, -1, -999, -1_000, -10_393.09, 1_000_000.5, 0.004, 12.345678, 99_999.994, 99_999.996];
    for (const v of values) {
      assert.equal(groupedNumber(v, 2), v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }), `${v}, 2 decimals`);
      if (Number.isInteger(v)) assert.equal(groupedNumber(v), v.toLocaleString('en-US'), `${v}`);
    }
  });

  it('rounds an exact tie away from zero (as toFixed does), never prints minus zero (ICU does: -0.00), and prints non-finite values plainly', () => {
    assert.equal(groupedNumber(0.125, 2), '0.13');
    assert.equal(groupedNumber(-0.125, 2), '-0.13');
    assert.equal(groupedNumber(-0.001, 2), '0.00');
    assert.equal(groupedNumber(-0, 0), '0');
    assert.equal(groupedNumber(Number.NaN), 'NaN');
    assert.equal(groupedNumber(Number.NEGATIVE_INFINITY, 2), '-Infinity');
  });
});
