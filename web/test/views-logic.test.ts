// The pure parts of the accounts, backtest-comparison and sweep views (issue 16 items 12 and 14).
import { describe, expect, it } from 'vitest';
import { differenceDetail, differencesOf } from '../src/accounts';
import { api, ApiError } from '../src/api';
import { candleOf, chartOptions, moneyAxis, perSecond, tradeMarks } from '../src/backtestCharts';
import { parseValues } from '../src/components/SweepPanel';

describe('sweep values', () => {
  it('reads lists and ranges as --grid does, and names what it cannot read', () => {
    expect(parseValues('5,10, 15')).toEqual([5, 10, 15]);
    expect(parseValues('5..20:5')).toEqual([5, 10, 15, 20]);
    expect(parseValues('20,5..6,5')).toEqual([5, 6, 20]);
    expect(parseValues('5..3')).toMatch(/empty range/);
    expect(parseValues('0')).toMatch(/not a whole number/);
    expect(parseValues('x')).toMatch(/not a whole number/);
    expect(parseValues('')).toBe('no values');
  });
});

describe('equity axis (issue 16 item 6)', () => {
  it('reads as money: thousands separated, cents below 10,000, whole units above', () => {
    expect(moneyAxis(100234.567)).toBe('100,235');
    expect(moneyAxis(-12500)).toBe('-12,500');
    expect(moneyAxis(1234.5)).toBe('1,234.50');
    expect(moneyAxis(0.1 + 0.2)).toBe('0.30');
    // The charts' price axis uses it.
    expect(chartOptions().localization?.priceFormatter).toBe(moneyAxis);
  });
});

describe('reconciliation differences', () => {
  it('keeps the venue alerts carrying a difference, newest first, in words', () => {
    const d = differencesOf([
      { type: 'ALERT', timestamp: 't', kind: 'venue-unknown-order', account_id: 'binance', reason: 'periodic', at: '2026-01-01T00:00:02.000Z', difference: { kind: 'unknown-order', venueOrderId: '77', action: 'reported', clientOrderId: null } },
      { type: 'ALERT', timestamp: 't', kind: 'venue-connection', account_id: 'binance', at: '2026-01-01T00:00:03.000Z' },
      { type: 'ALERT', timestamp: 't', kind: 'fill-refused', account_id: 'paper', at: '2026-01-01T00:00:04.000Z', difference: { kind: 'x' } },
      { type: 'ALERT', timestamp: 't', kind: 'venue-balance', account_id: 'binance', reason: 'start', at: '2026-01-01T00:00:05.000Z', difference: { kind: 'balance', currency: 'USDT', journal: 10, venue: 11 } },
    ]);
    expect(d.map((x) => x.kind)).toEqual(['balance', 'unknown-order']);
    expect(differenceDetail(d[1]!.difference)).toBe('venue order id 77 · action reported');
  });
});

describe('trades on candles', () => {
  it('places each entry and exit on the candle holding it', () => {
    const times = [0, 60_000, 120_000, 180_000];
    expect(candleOf(times, 59_999)).toBe(0);
    expect(candleOf(times, 60_000)).toBe(60_000);
    expect(candleOf(times, 999_999)).toBe(180_000);
    expect(candleOf(times, -1)).toBeNull();
    const marks = tradeMarks([{ side: 'short', qty: 1, entryPrice: 10, exitPrice: 9, openedAt: 61_000, closedAt: 130_000, grossPnl: 1, fees: 0, netPnl: 1, pnlR: null }], times);
    expect(marks.map((m) => [m.time, m.shape, m.position, m.color])).toEqual([
      [60, 'arrowDown', 'aboveBar', '#ef5350'],
      [120, 'circle', 'belowBar', '#26a69a'],
    ]);
    expect(perSecond([{ ts: 1000, value: 1 }, { ts: 1500, value: 2 }, { ts: 2000, value: 3 }])).toEqual([
      { time: 1, value: 2 },
      { time: 2, value: 3 },
    ]);
  });
});

describe('refusals name their field', () => {
  it('turns a schema refusal into "field message"', async () => {
    const real = globalThis.fetch;
    globalThis.fetch = (async () =>
      new Response(JSON.stringify({ detail: [{ loc: ['body', 'data', 'limit'], msg: 'must be >= 1', type: 'value_error' }], status_code: 422 }), { status: 422 })) as typeof fetch;
    try {
      const e = await api('/api/backtests', { method: 'POST', json: {} }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ApiError);
      expect((e as ApiError).message).toBe('data.limit must be >= 1');
    } finally {
      globalThis.fetch = real;
    }
  });
});
