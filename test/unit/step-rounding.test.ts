import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decimalsOf, floorToStep, roundToStep } from '../../src/core/instruments.js';
import { propertyOptions } from './property-support.js';

// The rounding as it was written before the power-of-ten fast path: print with the step's
// decimals, parse back. Every result must be the same double (Object.is; -0 printed is "0").
const printedRound = (v: number, step: number): number => Number((Math.round(v / step) * step).toFixed(decimalsOf(step)));
const printedFloor = (v: number, step: number): number => Number((Math.floor(v / step + 1e-9) * step).toFixed(decimalsOf(step)));

const steps = [1, 0.1, 0.01, 0.001, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 0.25, 0.5, 5, 0.005, 2.5e-7];
const values = fc.oneof(
  fc.double({ min: -1e7, max: 1e7, noNaN: true }),
  fc.double({ min: 0, max: 200_000, noNaN: true }),
  fc.integer({ min: -10_000_000, max: 10_000_000 }).map((n) => n / 1000),
  fc.constantFrom(0, -0, 0.3, 0.0019, 93_646.97, 1e-9, -0.004, 123_456.785),
);

describe('roundToStep and floorToStep', () => {
  it('give exactly what printing with the step decimals and parsing gives, for any value and step', () => {
    fc.assert(
      fc.property(values, fc.constantFrom(...steps), (v, step) => {
        assert.ok(Object.is(roundToStep(v, step), printedRound(v, step)), `roundToStep(${v}, ${step})`);
        assert.ok(Object.is(floorToStep(v, step), printedFloor(v, step)), `floorToStep(${v}, ${step})`);
      }),
      propertyOptions({ numRuns: 20_000 }),
    );
  });

  it('keep the documented cases', () => {
    assert.equal(floorToStep(0.3, 0.1), 0.3);
    assert.equal(floorToStep(0.0019, 0.001), 0.001);
    assert.equal(roundToStep(93_646.974, 0.01), 93_646.97);
    assert.ok(Object.is(roundToStep(-0.004, 0.01), 0));
  });
});
