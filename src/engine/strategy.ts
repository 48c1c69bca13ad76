import type { Instrument } from '../core/instruments.js';
import type { Bar, Tick } from '../core/market.js';
import type { BotPhase, MarketStatsView, ScannerSnapshot } from '../core/scanner.js';
import type { AccountView, Position } from '../core/portfolio-types.js';
import type { EntryIntent } from './risk-engine.js';

export type EntryResult = { ok: true; orderId: string; qty: number } | { ok: false; reason: string };

/** What a strategy may see and do. No I/O, no wall clock: time comes from `now()`. */
export interface StrategyContext {
  readonly botId: string;
  now(): number;
  instrument(symbol: string): Instrument;
  position(symbol: string): Position | undefined;
  /** True while an order of this bot for the symbol is still working. */
  hasWorkingOrder(symbol: string): boolean;
  account(): AccountView;
  enter(intent: EntryIntent): EntryResult;
  /** Closes the whole position at market; false when there is nothing to close. */
  exit(symbol: string, reason: string): boolean;
  /**
   * A short status per symbol, shown in the scan summary. A function is called only when a
   * summary is built (so a backtest, where nobody listens, formats no status text per bar).
   */
  setStatus(symbol: string, status: string | (() => string)): void;
  /** Closed bars of the strategy's interval for a symbol, oldest first (bounded history). */
  history(symbol: string): readonly Bar[];
  /** Rolling 24 h volume, trades per minute and ATRs of a symbol, if it has traded. */
  marketStats(symbol: string): MarketStatsView | undefined;
  /** Tells the bot which working phase the strategy is in (drives the lifecycle states). */
  setPhase(phase: BotPhase, reason: string): void;
  /** Publishes a scanner result (SCAN_RESULT event, GET /api/scanner/last). */
  publishScan(snapshot: ScannerSnapshot): void;
}

export interface Strategy {
  readonly name: string;
  /** Label carried to positions (seed 001's `mode`). */
  readonly mode: string;
  readonly symbols: readonly string[];
  readonly barIntervalMs: number;
  onBar(bar: Bar, ctx: StrategyContext): void;
  onTick?(tick: Tick, ctx: StrategyContext): void;
}
