import { isoTime } from '../../core/clock.js';
import type { Instrument } from '../../core/instruments.js';
import type { Bar } from '../../core/market.js';
import type { MarketStatsView, ScanCandidate, ScannerSnapshot } from '../../core/scanner.js';
import { atr, momentum, volumeSurge } from './bar-math.js';
import { findLevels } from './levels.js';
import { SCORE_FACTORS, type Preset } from './preset.js';

/** Everything the scanner knows of one symbol. */
export interface ScanInput {
  symbol: string;
  /** Undefined for a symbol the registry does not know: it is not scanned. */
  instrument: Instrument | undefined;
  /** Closed bars of the preset's interval, oldest first. */
  bars: readonly Bar[];
  stats: MarketStatsView | undefined;
}

export interface ScanOptions {
  /**
   * At most this many candidates. A requested limit wins over the preset's max_candidates (seed
   * 001: the request's `limit`), up to MAX_SCAN_LIMIT; without one, max_candidates applies.
   */
  limit?: number;
  /** Scan only these symbols (intersected with the preset's). */
  symbols?: readonly string[];
  /** The engine run (monitoring session) the scan belongs to: summary.session_id. */
  sessionId?: string | null;
}

/** Hard cap on candidates per scan, whatever the request or the preset asks (README, Scanner). */
export const MAX_SCAN_LIMIT = 100;

/** Bars whose volume is compared with the lookback's average for the volume surge. */
export const SURGE_BARS = 3;
/** Bars the momentum is measured over. */
export const MOMENTUM_BARS = 10;
/** A volume surge of this much scores the full vol_surge factor. */
export const FULL_SURGE = 3;
/** A move of this many ATRs over MOMENTUM_BARS scores the full momentum factor. */
export const FULL_MOMENTUM_ATR = 3;
/** Liquidity and trade rate score full at 100x their filter minimum (log scale: 10x = 0.5). */
export const FULL_LIQUIDITY_DECADES = 2;

/** Factors the scanner has no data for: they count in the weights' total but score 0. */
const NO_DATA_FACTORS: ReadonlySet<string> = new Set(['oi_delta', 'correlation']);
const KNOWN_FACTORS: ReadonlySet<string> = new Set(SCORE_FACTORS);

const clamp01 = (v: number): number => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0);

/** log10(value / base) over FULL_LIQUIDITY_DECADES, in 0..1; the base is the filter minimum (at least 1). */
const logScore = (value: number, minimum: number): number =>
  value > 0 ? clamp01(Math.log10(value / Math.max(minimum, 1)) / FULL_LIQUIDITY_DECADES) : 0;

/**
 * How well the ATR% sits inside [atr_min_pct, atr_max_pct]: 1 in the middle of the range, 0
 * at its edges and outside. The middle is taken on a log scale (ATR% spans decades); with a
 * zero minimum, on a linear scale.
 */
export function atrQuality(atrPct: number, min: number, max: number): number {
  if (!(atrPct >= min && atrPct <= max) || !(max > min)) return 0;
  const pos = min > 0 ? Math.log(atrPct / min) / Math.log(max / min) : atrPct / max;
  return clamp01(1 - Math.abs(2 * pos - 1));
}

interface Evaluated {
  candidate: ScanCandidate;
  passed: boolean;
  reasons: string[];
}

const fmt = (v: number, digits = 4): string => (Number.isFinite(v) ? Number(v.toPrecision(digits)).toString() : String(v));

function evaluate(preset: Preset, input: ScanInput): Evaluated {
  const filters: Record<string, boolean> = {};
  const metrics: Record<string, number> = {};
  const reasons: string[] = [];
  const { stats, bars } = input;
  const lf = preset.liquidity_filters;

  // (b) liquidity
  if (!stats) {
    filters.liquidity = false;
    reasons.push('no market data');
  } else {
    metrics.volume_24h_usd = stats.volume_24h_usd;
    metrics.trades_per_minute = stats.trades_per_minute;
    if (stats.atr_5m !== null) metrics.atr_5m = stats.atr_5m;
    if (stats.atr_15m !== null) metrics.atr_15m = stats.atr_15m;
    const volOk = stats.volume_24h_usd >= lf.min_24h_volume_usd;
    const tradesOk = stats.trades_per_minute >= lf.min_trades_per_minute;
    filters.liquidity = volOk && tradesOk;
    if (!volOk) reasons.push(`24h volume $${fmt(stats.volume_24h_usd)} < $${fmt(lf.min_24h_volume_usd)}`);
    if (!tradesOk) reasons.push(`${fmt(stats.trades_per_minute)} trades/min < ${fmt(lf.min_trades_per_minute)}`);
  }

  // (c) history
  metrics.history_bars = bars.length;
  const minBars = preset.scanner_config.min_history_bars;
  filters.history = bars.length >= minBars;
  if (!filters.history) reasons.push(`history ${bars.length}/${minBars} bars`);

  const candidate: ScanCandidate = { symbol: input.symbol, score: 0, rank: 0, filters, metrics, levels: [] };
  if (!filters.history) return { candidate, passed: false, reasons };

  // (d) indicators over the lookback window
  const window = bars.slice(-preset.levels.lookback_bars);
  const last = window[window.length - 1] as Bar;
  const atrValue = atr(window);
  const atrPct = last.close > 0 ? atrValue / last.close : Number.NaN;
  const surge = volumeSurge(window, SURGE_BARS, window.length);
  const mom = momentum(window, MOMENTUM_BARS);
  // The same move in ATRs: |close - close MOMENTUM_BARS ago| / ATR.
  const momFrom = window[Math.max(0, window.length - 1 - MOMENTUM_BARS)] as Bar;
  const momAtr = atrValue > 0 ? Math.abs(last.close - momFrom.close) / atrValue : 0;
  metrics.price = last.close;
  metrics.atr = atrValue;
  metrics.atr_pct = atrPct;
  metrics.vol_surge = surge;
  metrics.momentum = mom;
  metrics.momentum_atr = momAtr;

  // (e) volatility and volume surge
  const vf = preset.volatility_filters;
  filters.volatility = atrPct >= vf.atr_min_pct && atrPct <= vf.atr_max_pct;
  if (!filters.volatility) reasons.push(`ATR ${fmt(atrPct * 100)}% outside ${fmt(vf.atr_min_pct * 100)}..${fmt(vf.atr_max_pct * 100)}%`);
  filters.volume_surge = surge >= vf.volume_surge_min;
  if (!filters.volume_surge) reasons.push(`volume surge ${fmt(surge)} < ${fmt(vf.volume_surge_min)}`);

  const passed = reasons.length === 0;
  if (!passed) return { candidate, passed, reasons };

  // (f) levels
  candidate.levels = findLevels(window, atrValue, preset.levels);
  metrics.levels = candidate.levels.length;

  // (g) score
  const factor: Record<string, number> = {
    vol_surge: clamp01(surge / FULL_SURGE),
    atr_quality: atrQuality(atrPct, vf.atr_min_pct, vf.atr_max_pct),
    // Breakouts go both ways; a falling market only scores when shorts are allowed.
    momentum: mom < 0 && !preset.signal_config.allow_short ? 0 : clamp01(momAtr / FULL_MOMENTUM_ATR),
    liquidity: stats ? logScore(stats.volume_24h_usd, lf.min_24h_volume_usd) : 0,
    trades_per_minute: stats ? logScore(stats.trades_per_minute, lf.min_trades_per_minute) : 0,
    level_strength: candidate.levels.reduce((m, l) => Math.max(m, l.strength), 0),
  };
  let weighted = 0;
  let total = 0;
  for (const [name, weight] of Object.entries(preset.scanner_config.score_weights)) {
    const value = NO_DATA_FACTORS.has(name) ? 0 : (factor[name] ?? 0);
    metrics[`score_${name}`] = value;
    weighted += weight * value;
    total += weight;
  }
  candidate.score = total > 0 ? weighted / total : 0;
  return { candidate, passed, reasons };
}

/**
 * The breakout scanner, a pure function of its inputs:
 *  (a) symbols: the preset's, intersected with options.symbols; symbols without an input or an
 *      instrument are not scanned (listed in summary.not_scanned);
 *  (b) liquidity: 24 h traded value and trades per minute against liquidity_filters;
 *  (c) history: at least min_history_bars closed bars;
 *  (d) indicators over the last levels.lookback_bars bars: ATR(14) as a fraction of the close,
 *      volume surge (mean volume of the last 3 bars over the mean of the lookback before them),
 *      momentum (close change over the last 10 bars);
 *  (e) volatility (atr_min_pct..atr_max_pct) and volume surge (>= volume_surge_min);
 *  (f) support/resistance levels (levels.ts) of the symbols that passed every filter;
 *  (g) score in 0..1: the score_weights-weighted mean of factors normalised to 0..1 (see
 *      metrics.score_<factor>); oi_delta, correlation and unknown factors have no data and
 *      score 0 (summary.unscored_factors);
 *  (h) ranking by score (ties by symbol), cut to options.limit when given (it wins over the
 *      preset's max_candidates), else max_candidates; never more than MAX_SCAN_LIMIT.
 * totalScanned counts the scanned symbols, passedFilters those that passed every filter
 * (before the cut); summary.rejections gives each rejected symbol's reasons.
 */
export function scanMarkets(preset: Preset, inputs: readonly ScanInput[], options: ScanOptions = {}, now: number): ScannerSnapshot {
  const byName = new Map(inputs.map((i) => [i.symbol, i]));
  const wanted = options.symbols ? new Set(options.symbols) : null;
  const scanned: string[] = [];
  const notScanned: string[] = [];
  const rejections: Record<string, string> = {};
  const filterResults: Record<string, Record<string, boolean>> = {};
  const passed: ScanCandidate[] = [];

  for (const symbol of preset.symbols) {
    if (wanted && !wanted.has(symbol)) continue;
    const input = byName.get(symbol);
    if (!input?.instrument) {
      notScanned.push(symbol);
      continue;
    }
    scanned.push(symbol);
    const result = evaluate(preset, input);
    filterResults[symbol] = result.candidate.filters;
    if (result.passed) passed.push(result.candidate);
    else rejections[symbol] = result.reasons.join('; ');
  }
  if (wanted) for (const s of wanted) if (!preset.symbols.includes(s)) notScanned.push(s);

  passed.sort((a, b) => b.score - a.score || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  const requested = options.limit === undefined ? preset.scanner_config.max_candidates : Math.floor(options.limit);
  const limit = Math.max(0, Math.min(requested, MAX_SCAN_LIMIT));
  const candidates = passed.slice(0, limit);
  candidates.forEach((c, i) => (c.rank = i + 1));

  const unscored = Object.keys(preset.scanner_config.score_weights).filter((f) => NO_DATA_FACTORS.has(f) || !KNOWN_FACTORS.has(f));
  return {
    timestamp: isoTime(now),
    candidates,
    totalScanned: scanned.length,
    passedFilters: passed.length,
    summary: {
      session_id: options.sessionId ?? null,
      preset: preset.name,
      strategy_type: preset.strategy_type,
      state: 'scanning',
      scanning_active: true,
      bar_interval_ms: preset.bar_interval_ms,
      limit,
      limit_source: options.limit === undefined ? 'preset.max_candidates' : 'request',
      scanned_symbols: scanned,
      not_scanned: notScanned,
      passed_symbols: passed.map((c) => c.symbol),
      rejections,
      filters: filterResults,
      unscored_factors: unscored,
    },
  };
}

/** Builds the scanner inputs of a preset from whatever holds bars and statistics. */
export function collectScanInputs(
  symbols: readonly string[],
  source: {
    instrument(symbol: string): Instrument | undefined;
    history(symbol: string): readonly Bar[];
    marketStats(symbol: string): MarketStatsView | undefined;
  },
): ScanInput[] {
  return symbols.map((symbol) => ({ symbol, instrument: source.instrument(symbol), bars: source.history(symbol), stats: source.marketStats(symbol) }));
}
