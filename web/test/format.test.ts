import { describe, expect, it } from 'vitest';
import { fmt, fmtClock, fmtCount, fmtDateClock, fmtTime, numberFormat } from '../src/api';
import { moneyAxis } from '../src/backtestCharts';

// The dashboard's formatters reuse Intl formatters built once; they must write exactly what the
// per-call toLocaleString / toLocaleTimeString they replaced wrote.
const seeded = (seed: number) => () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};

describe('dashboard formatters', () => {
  const random = seeded(17);
  const times = [0, 86_399_999, Date.UTC(2026, 11, 2, 23, 59, 59), ...Array.from({ length: 500 }, () => Math.floor(random() * 4e12))];
  const numbers = [0, -0, 0.005, 1.005, -1.005, 999.995, 1234567.891, -42, 1e21, 123456789012, ...Array.from({ length: 500 }, () => (random() - 0.5) * 10 ** Math.floor(random() * 9))];

  it('times of day as toLocaleTimeString("en-GB", { hour12: false }) wrote them', () => {
    for (const t of times) {
      const expected = new Date(t).toLocaleTimeString('en-GB', { hour12: false });
      expect(fmtTime(t)).toBe(expected);
      expect(fmtTime(new Date(t).toISOString())).toBe(expected);
      expect(fmtClock(new Date(t))).toBe(expected);
    }
    expect(fmtTime(null)).toBe('—');
    expect(fmtTime('not a time')).toBe('not a time');
  });

  it('dates with times as toLocaleString("en-GB", { hour12: false }) wrote them', () => {
    for (const t of times) expect(fmtDateClock(new Date(t))).toBe(new Date(t).toLocaleString('en-GB', { hour12: false }));
  });

  it('numbers as toLocaleString("en-US") with fixed digits wrote them', () => {
    for (const n of numbers) {
      for (const digits of [0, 2, 4]) expect(fmt(n, digits)).toBe(n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
      expect(fmtCount(n)).toBe(n.toLocaleString('en-US'));
      expect(moneyAxis(n)).toBe(n.toLocaleString('en-US', { minimumFractionDigits: Math.abs(n) >= 10_000 ? 0 : 2, maximumFractionDigits: Math.abs(n) >= 10_000 ? 0 : 2 }));
    }
    expect(fmt(null)).toBe('—');
    expect(fmt(Number.NaN)).toBe('—');
    expect(numberFormat(2)).toBe(numberFormat(2));
  });
});
