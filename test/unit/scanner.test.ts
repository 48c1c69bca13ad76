import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Bar } from '../../src/core/market.js';
import type { MarketStatsView } from '../../src/core/scanner.js';
import { findLevels, findPivots } from '../../src/strategies/breakout/levels.js';
import type { Preset } from '../../src/strategies/breakout/preset.js';
import { atrQuality, MAX_SCAN_LIMIT, scanMarkets, type ScanInput } from '../../src/strategies/breakout/scanner.js';
import { near, registry } from './support.js';

const bar = (i: number, high: number, low: number, close: number, volume = 10): Bar => ({
  symbol: 'X',
  start: i * 1000,
  intervalMs: 1000,
  open: close,
  high,
  low,
  close,
  volume,
  trades: 1,
});

/** 0,1,2,3,4,3,2,1 repeating: peaks at i = 4 mod 8, troughs at 0 mod 8. */
const tri = (i: number): number => [0, 1, 2, 3, 4, 3, 2, 1][i % 8] as number;

/**
 * A range between 100 and 104: close 100 + tri(i), high close + 0.5, low close - 0.5, so every
 * true range after the first is 1.5 and ATR(14) = 1.5. 40 bars: swing highs (104.5) at 4, 12,
 * 20, 28, 36; swing lows (99.5) at 8, 16, 24, 32 (bar 0 has no bars on its left); last close 101.
 */
function rangeBars(n = 40, volume = (_i: number) => 10): Bar[] {
  return Array.from({ length: n }, (_, i) => bar(i, 100 + tri(i) + 0.5, 100 + tri(i) - 0.5, 100 + tri(i), volume(i)));
}

const stats = (symbol: string, volume: number, tpm: number): MarketStatsView => ({
  symbol,
  price: 100,
  volume_24h_usd: volume,
  trades_per_minute: tpm,
  atr_5m: null,
  atr_15m: null,
  timestamp: 0,
});

const PRESET: Preset = {
  name: 'test_scan',
  description: 'scanner test',
  strategy_type: 'momentum',
  symbols: ['BTC/USDT', 'ETH/USDT', 'ES', 'NQ'],
  bar_interval_ms: 1000,
  risk: { risk_per_trade: 0.005, max_concurrent_positions: 2, daily_risk_limit_r: 3, max_consecutive_losses: 3, max_leverage: 5 },
  liquidity_filters: { min_24h_volume_usd: 1_000_000, min_trades_per_minute: 10 },
  volatility_filters: { atr_min_pct: 0.001, atr_max_pct: 0.05, volume_surge_min: 0.5 },
  scanner_config: { max_candidates: 3, min_history_bars: 20, score_weights: { vol_surge: 0.5, momentum: 0.3, oi_delta: 0.2 } },
  levels: { lookback_bars: 60, min_touches: 2, tolerance_atr: 0.5 },
  signal_config: { breakout_buffer_atr: 0.1, min_volume_ratio: 0.5, allow_short: true },
  position_config: { stop_buffer_atr: 0.5, take_profit_r: 2, max_hold_bars: 10 },
};

const reg = registry();
const input = (symbol: string, bars: Bar[], s: MarketStatsView | undefined): ScanInput => ({ symbol, instrument: reg.find(symbol), bars, stats: s });

/**
 * BTC: the range, liquid. ETH: the same range with the last 3 bars at 3x volume. ES: liquid
 * range but only $500k traded. NQ: liquid but flat (ATR 0).
 */
function inputs(): ScanInput[] {
  return [
    input('BTC/USDT', rangeBars(), stats('BTC/USDT', 5e6, 20)),
    input('ETH/USDT', rangeBars(40, (i) => (i >= 37 ? 30 : 10)), stats('ETH/USDT', 5e6, 20)),
    input('ES', rangeBars(), stats('ES', 5e5, 20)),
    input(
      'NQ',
      Array.from({ length: 40 }, (_, i) => bar(i, 100, 100, 100)),
      stats('NQ', 5e6, 20),
    ),
  ];
}

describe('support and resistance levels', () => {
  /**
   * Highs 110 (bar 3) and 110.2 (bar 9) within tolerance, a lone 107 (bar 12); lows 98 (bar 6)
   * and 98.1 (bar 11). Last close 102.
   */
  const HL: [number, number][] = [
    [101, 99], [102, 100], [103, 101], [110, 102], [104, 101], [103, 100], [102, 98], [105, 99],
    [106, 100], [110.2, 101], [104, 100], [103, 98.1], [107, 99], [104, 100], [103, 101],
  ];
  const bars = HL.map(([h, l], i) => bar(i, h, l, i === HL.length - 1 ? 102 : (h + l) / 2));

  it('finds swing highs and lows with two bars on each side', () => {
    assert.deepEqual(
      findPivots(bars).map((p) => [p.index, p.kind, p.price]),
      [
        [3, 'high', 110],
        [6, 'low', 98],
        [9, 'high', 110.2],
        [11, 'low', 98.1],
        [12, 'high', 107],
      ],
    );
  });

  it('clusters touches within tolerance into levels with touches and strength', () => {
    // ATR 1, tolerance 0.5.
    const levels = findLevels(bars, 1, { min_touches: 2, tolerance_atr: 0.5 });
    assert.equal(levels.length, 2, JSON.stringify(levels));
    const [support, resistance] = levels;
    // support 98.05: 0.5*min(1, 2/4) + 0.3*(1 - 3/15) + 0.2*(1 - 0.1/0.5) = 0.25 + 0.24 + 0.16
    assert.equal(support?.type, 'support');
    assert.ok(near(support?.price, 98.05));
    assert.equal(support?.touches, 2);
    assert.ok(near(support?.strength, 0.65));
    // resistance 110.1: 0.25 + 0.3*(1 - 5/15) + 0.2*(1 - 0.2/0.5) = 0.25 + 0.2 + 0.12
    assert.equal(resistance?.type, 'resistance');
    assert.ok(near(resistance?.price, 110.1));
    assert.equal(resistance?.touches, 2);
    assert.ok(near(resistance?.strength, 0.57));
  });

  it('min_touches 1 keeps the lone swing; a tighter tolerance splits the highs', () => {
    const one = findLevels(bars, 1, { min_touches: 1, tolerance_atr: 0.5 });
    assert.deepEqual(
      one.map((l) => [l.type, l.touches]).sort(),
      [
        ['resistance', 1],
        ['resistance', 2],
        ['support', 2],
      ],
    );
    assert.ok(one.some((l) => l.price === 107));
    const tight = findLevels(bars, 1, { min_touches: 2, tolerance_atr: 0.1 });
    assert.equal(tight.length, 1);
    assert.equal(tight[0]?.type, 'support');
    // spread 0.1 equals the tolerance: tightness 0 -> 0.25 + 0.24
    assert.ok(near(tight[0]?.strength, 0.49));
  });

  it('a level the last close broke through is support', () => {
    const broke = [...bars.slice(0, -1), bar(14, 112, 101, 111.5)];
    const levels = findLevels(broke, 1, { min_touches: 2, tolerance_atr: 0.5 });
    assert.ok(levels.every((l) => l.type === 'support'));
  });
});

describe('scanMarkets', () => {
  it('filters, scores and ranks: illiquid and flat symbols are rejected with their reason', () => {
    const snap = scanMarkets(PRESET, inputs(), {}, Date.UTC(2025, 0, 16, 12));
    assert.equal(snap.timestamp, '2025-01-16T12:00:00.000Z');
    assert.equal(snap.totalScanned, 4);
    assert.equal(snap.passedFilters, 2);
    assert.deepEqual(
      snap.candidates.map((c) => [c.symbol, c.rank]),
      [
        ['ETH/USDT', 1],
        ['BTC/USDT', 2],
      ],
    );
    const [eth, btc] = snap.candidates;
    assert.ok(eth && btc);
    assert.deepEqual(btc.filters, { liquidity: true, history: true, volatility: true, volume_surge: true });
    // ATR 1.5 on a close of 101; momentum over 10 bars: 103 -> 101, 2 points = 1.333 ATR.
    assert.ok(near(btc.metrics.atr, 1.5));
    assert.ok(near(btc.metrics.atr_pct, 1.5 / 101));
    assert.ok(near(btc.metrics.vol_surge, 1));
    assert.ok(near(btc.metrics.momentum, 101 / 103 - 1));
    assert.equal(btc.metrics.volume_24h_usd, 5e6);
    assert.equal(btc.metrics.trades_per_minute, 20);
    // score = (0.5 * surge/3 + 0.3 * min(1, 1.333/3) + 0.2 * 0) / 1
    assert.ok(near(btc.metrics.score_vol_surge, 1 / 3));
    assert.ok(near(btc.metrics.score_momentum, 4 / 9));
    assert.equal(btc.metrics.score_oi_delta, 0);
    assert.ok(near(btc.score, 0.5 / 3 + (0.3 * 4) / 9), `${btc.score}`);
    assert.ok(near(btc.score, 0.3));
    // ETH: last 3 bars at 30 against 10 before: surge 3, full factor.
    assert.ok(near(eth.metrics.vol_surge, 3));
    assert.ok(near(eth.score, 0.5 + 0.4 / 3));
    // Levels of the range: 104.5 touched 5 times (newest 3 bars ago), 99.5 touched 4 times (7 ago).
    assert.deepEqual(
      btc.levels.map((l) => [l.type, l.price, l.touches]),
      [
        ['resistance', 104.5, 5],
        ['support', 99.5, 4],
      ],
    );
    assert.ok(near(btc.levels[0]?.strength, 0.5 + 0.3 * (1 - 3 / 40) + 0.2));
    assert.ok(near(btc.levels[1]?.strength, 0.5 + 0.3 * (1 - 7 / 40) + 0.2));

    const summary = snap.summary as { preset: string; rejections: Record<string, string>; filters: Record<string, Record<string, boolean>>; scanned_symbols: string[]; unscored_factors: string[] };
    assert.equal(summary.preset, 'test_scan');
    assert.deepEqual(summary.scanned_symbols, ['BTC/USDT', 'ETH/USDT', 'ES', 'NQ']);
    assert.deepEqual(Object.keys(summary.rejections).sort(), ['ES', 'NQ']);
    assert.match(summary.rejections.ES ?? '', /24h volume \$500000 < \$1000000/);
    assert.match(summary.rejections.NQ ?? '', /ATR 0% outside 0\.1\.\.5%/);
    assert.equal(summary.filters.ES?.liquidity, false);
    assert.equal(summary.filters.NQ?.liquidity, true);
    assert.equal(summary.filters.NQ?.volatility, false);
    assert.deepEqual(summary.unscored_factors, ['oi_delta']);
  });

  it('cuts to the request limit (which wins over max_candidates, up to the hard cap) after counting what passed', () => {
    const one = scanMarkets(PRESET, inputs(), { limit: 1 }, 0);
    assert.deepEqual(
      one.candidates.map((c) => c.symbol),
      ['ETH/USDT'],
    );
    assert.equal(one.passedFilters, 2);
    assert.equal((one.summary as { limit_source: string }).limit_source, 'request');
    // The preset allows 1 candidate; the request asks for 5 and gets both that passed.
    const narrow = { ...PRESET, scanner_config: { ...PRESET.scanner_config, max_candidates: 1 } };
    const wider = scanMarkets(narrow, inputs(), { limit: 5 }, 0);
    assert.equal(wider.candidates.length, 2);
    assert.equal((wider.summary as { limit: number }).limit, 5);
    // Without a limit the preset's max_candidates applies.
    const preset = scanMarkets(narrow, inputs(), {}, 0);
    assert.equal(preset.candidates.length, 1);
    assert.deepEqual([(preset.summary as { limit: number }).limit, (preset.summary as { limit_source: string }).limit_source], [1, 'preset.max_candidates']);
    // A limit above the hard cap is cut to it.
    assert.equal((scanMarkets(PRESET, inputs(), { limit: MAX_SCAN_LIMIT + 50 }, 0).summary as { limit: number }).limit, MAX_SCAN_LIMIT);
    assert.equal(scanMarkets(PRESET, inputs(), { limit: 0 }, 0).candidates.length, 0);
  });

  it('carries the session id in the summary (null outside an engine run)', () => {
    assert.equal((scanMarkets(PRESET, inputs(), { sessionId: 'sess_x_1' }, 0).summary as { session_id: unknown }).session_id, 'sess_x_1');
    assert.equal((scanMarkets(PRESET, inputs(), {}, 0).summary as { session_id: unknown }).session_id, null);
  });

  it('scans only the requested symbols the preset has; unknown ones are not scanned', () => {
    const snap = scanMarkets(PRESET, inputs(), { symbols: ['BTC/USDT', 'ES', 'XRP/USDT'] }, 0);
    assert.equal(snap.totalScanned, 2);
    assert.equal(snap.passedFilters, 1);
    assert.deepEqual(
      snap.candidates.map((c) => c.symbol),
      ['BTC/USDT'],
    );
    assert.deepEqual((snap.summary as { not_scanned: string[] }).not_scanned, ['XRP/USDT']);
    // A preset symbol the registry does not know is not scanned either.
    const unknown = scanMarkets({ ...PRESET, symbols: ['BTC/USDT', 'DOGE/USDT'] }, [...inputs(), { symbol: 'DOGE/USDT', instrument: undefined, bars: rangeBars(), stats: stats('DOGE/USDT', 5e6, 20) }], {}, 0);
    assert.equal(unknown.totalScanned, 1);
  });

  it('rejects short history and missing or thin market data with reasons', () => {
    const snap = scanMarkets(
      PRESET,
      [input('BTC/USDT', rangeBars(10), stats('BTC/USDT', 5e6, 20)), input('ETH/USDT', rangeBars(), undefined), input('ES', rangeBars(), stats('ES', 5e6, 4))],
      {},
      0,
    );
    assert.equal(snap.totalScanned, 3);
    assert.equal(snap.passedFilters, 0);
    assert.deepEqual(snap.candidates, []);
    const r = (snap.summary as { rejections: Record<string, string> }).rejections;
    assert.equal(r['BTC/USDT'], 'history 10/20 bars');
    assert.equal(r['ETH/USDT'], 'no market data');
    assert.equal(r.ES, '4 trades/min < 10');
  });

  it('a falling market scores momentum only when shorts are allowed', () => {
    const withShort = scanMarkets(PRESET, inputs(), {}, 0).candidates.find((c) => c.symbol === 'BTC/USDT');
    const longOnly = scanMarkets({ ...PRESET, signal_config: { ...PRESET.signal_config, allow_short: false } }, inputs(), {}, 0).candidates.find((c) => c.symbol === 'BTC/USDT');
    assert.ok(near(withShort?.metrics.score_momentum, 4 / 9));
    assert.equal(longOnly?.metrics.score_momentum, 0);
  });

  it('atr_quality is 1 at the log-middle of the range and 0 at its edges', () => {
    assert.ok(near(atrQuality(0.01, 0.001, 0.1), 1));
    assert.ok(near(atrQuality(10 ** -2.5, 0.001, 0.1), 0.5));
    assert.equal(atrQuality(0.001, 0.001, 0.1), 0);
    assert.equal(atrQuality(0.2, 0.001, 0.1), 0);
    assert.ok(near(atrQuality(0.025, 0, 0.1), 0.5), 'zero minimum: linear');
  });
});
