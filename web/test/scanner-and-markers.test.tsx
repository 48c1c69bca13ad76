import { afterEach, describe, expect, it } from 'vitest';
import type { ScannerSnapshot, Trade } from '../src/api';
import { tradeMarkers } from '../src/chartMarkers';
import { ScannerGrid } from '../src/components/ScannerGrid';
import { mount } from './harness';

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

describe('ScannerGrid', () => {
  it('renders candidates by rank with filter chips, metrics and levels', async () => {
    const snap: ScannerSnapshot = {
      timestamp: '2026-01-01T00:00:00.000Z',
      totalScanned: 5,
      passedFilters: 2,
      candidates: [
        { symbol: 'ETH/USDT', score: 0.61, rank: 2, filters: { volume: true, atr: false }, metrics: { atr_pct: 0.012 }, levels: [] },
        { symbol: 'BTC/USDT', score: 0.9, rank: 1, filters: { volume: true }, metrics: { volume_24h_usd: 1234567 }, levels: [{ type: 'support', price: 100, strength: 0.7, touches: 3 }] },
      ],
    };
    const m = await mount(<ScannerGrid snapshot={snap} />);
    cleanup = m.unmount;
    const cards = [...m.container.querySelectorAll('.candidate')];
    expect(cards.map((c) => c.getAttribute('data-symbol'))).toEqual(['BTC/USDT', 'ETH/USDT']);
    expect(m.container.textContent).toContain('2/5 passed');
    const eth = cards[1]!;
    expect(eth.querySelector('[data-filter=volume]')?.className).toContain('chip-pass');
    expect(eth.querySelector('[data-filter=atr]')?.className).toContain('chip-fail');
    expect(cards[0]!.querySelector('[data-level=support]')?.textContent).toContain('100.00');
    expect(cards[0]!.querySelector('[data-col=score]')?.textContent).toBe('0.900');
  });

  it('says so before the first scan', async () => {
    const m = await mount(<ScannerGrid snapshot={null} />);
    cleanup = m.unmount;
    expect(m.container.textContent).toContain('no candidates yet');
  });
});

describe('tradeMarkers', () => {
  const t = (symbol: string, ts: string, direction: string, purpose: string): Trade => ({ symbol, direction, price: 1, lot: 1, timestamp: ts, purpose, fill_id: `${symbol}${ts}` });
  it('marks one symbol’s entries and exits on bar starts, oldest first', () => {
    const trades = [
      t('BTC/USDT', '2026-01-01T00:00:17.500Z', 'SELL', 'stop_loss'),
      t('ETH/USDT', '2026-01-01T00:00:03.000Z', 'BUY', 'entry'),
      t('BTC/USDT', '2026-01-01T00:00:03.000Z', 'BUY', 'entry'),
    ];
    const m = tradeMarkers(trades, 'BTC/USDT', 5000);
    const base = Date.parse('2026-01-01T00:00:00.000Z') / 1000;
    expect(m.map((x) => [x.time - base, x.shape, x.position, x.text])).toEqual([
      [0, 'arrowUp', 'belowBar', 'B entry'],
      [15, 'circle', 'aboveBar', 'S SL'],
    ]);
    expect(tradeMarkers(trades, 'BTC/USDT', 5000, base + 5)).toHaveLength(1);
  });
});

describe('tradeMarkers pile-up (issue 16 item 5)', () => {
  it('fills on one side of one bar share one marker that counts them', () => {
    const f = (ts: string, direction: string, purpose: string, id: string): Trade => ({ symbol: 'ES', direction, price: 1, lot: 1, timestamp: ts, purpose, fill_id: id });
    const trades = [f('2026-01-01T00:00:01.000Z', 'BUY', 'entry', 'a'), f('2026-01-01T00:00:02.000Z', 'BUY', 'take_profit', 'b'), f('2026-01-01T00:00:03.000Z', 'BUY', 'entry', 'c'), f('2026-01-01T00:00:04.000Z', 'SELL', 'stop_loss', 'd')];
    const m = tradeMarkers(trades, 'ES', 60_000);
    expect(m.map((x) => [x.position, x.text])).toEqual([
      ['belowBar', 'B ×3'],
      ['aboveBar', 'S SL'],
    ]);
    expect(new Set(m.map((x) => x.id)).size).toBe(2);
  });
});
