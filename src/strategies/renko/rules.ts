/**
 * The Renko operator desk's pure rules (seed 003): zone, tempo token, entry intent, the eight
 * entry checks' messages and the exit rules. No I/O and no clock: callers pass `now`.
 *
 * Definitions
 * - Zone. From the colours of the last 8pt (high, structure) and 12pt (macro) bars: when both
 *   exist and agree the zone is NORMAL and its structure direction is BUY (both green) or SELL
 *   (both red); otherwise (they disagree, or either has not printed yet) the zone is FREE and
 *   has no direction. The zone gate: NORMAL admits entries in the structure direction (the
 *   direction may be omitted); FREE admits only an explicit direction. `entry_override`
 *   lets an entry go against the NORMAL structure (never without a direction in FREE).
 * - Tempo token. One entry per 6pt bar: every new 6pt bar issues the token (READY); an entry
 *   spends it (SPENT); so does a position exit (no re-entry on the bar that exited). WAITING
 *   until the first 6pt bar is seen. `entry_override` does not bypass it.
 * - Entry intent. POST /api/intent arms it (ARMED); the next 6pt bar makes it READY; the bar
 *   after that expires it if no entry used it; an entry while READY uses it.
 */
import { nextState, type TransitionTable } from '../../core/fsm.js';
import type { RenkoColor } from '../../core/renko.js';

export type Direction = 'BUY' | 'SELL';
export type Zone = 'NORMAL' | 'FREE';

export const colorDirection = (c: RenkoColor): Direction => (c === 'green' ? 'BUY' : 'SELL');
export const opposite = (d: Direction): Direction => (d === 'BUY' ? 'SELL' : 'BUY');

export interface ZoneView {
  zone: Zone;
  /** The structure direction in a NORMAL zone; null in FREE. */
  direction: Direction | null;
}

export function zoneOf(high: RenkoColor | null, macro: RenkoColor | null): ZoneView {
  if (high && macro && high === macro) return { zone: 'NORMAL', direction: colorDirection(high) };
  return { zone: 'FREE', direction: null };
}

export type TempoState = 'WAITING' | 'READY' | 'SPENT';
export type TempoEvent = 'bar6' | 'entry' | 'exit';

export const TEMPO_TRANSITIONS: TransitionTable<TempoState, TempoEvent> = {
  WAITING: { bar6: 'READY', exit: 'WAITING' },
  READY: { bar6: 'READY', entry: 'SPENT', exit: 'SPENT' },
  SPENT: { bar6: 'READY', exit: 'SPENT' },
};

export type IntentState = 'NONE' | 'ARMED' | 'READY';
export type IntentEvent = 'create' | 'bar6' | 'cancel' | 'use';

/** READY --bar6--> NONE is the expiry (one bar after it became READY, unused). */
export const INTENT_TRANSITIONS: TransitionTable<IntentState, IntentEvent> = {
  NONE: { create: 'ARMED', bar6: 'NONE', use: 'NONE' },
  ARMED: { bar6: 'READY', cancel: 'NONE', use: 'ARMED' },
  READY: { bar6: 'NONE', cancel: 'NONE', use: 'NONE' },
};

/** The next state, or the same state when the table has no such transition. */
export function step<S extends string, E extends string>(table: TransitionTable<S, E>, from: S, event: E): S {
  const r = nextState(table, from, event);
  return r.ok ? r.to : from;
}

/** Remaining time as mm:ss, or h:mm:ss from an hour; whole seconds rounded up. */
export function remaining(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${two(h)}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}

export const CANDLE_MS = 5 * 60_000;
/** End of the 5-minute clock candle `ts` falls in (candles start at :00, :05, ... UTC). */
export const candleEnd = (ts: number): number => Math.floor(ts / CANDLE_MS) * CANDLE_MS + CANDLE_MS;

/** Points the position is in profit (negative: in loss), from its average price. */
export const openPoints = (direction: Direction, avgPrice: number, price: number): number =>
  Math.round((direction === 'BUY' ? price - avgPrice : avgPrice - price) * 1e6) / 1e6;

export type ProtectThreshold = -2 | 0.5;
export const PROTECT_THRESHOLDS: readonly ProtectThreshold[] = [-2, 0.5];
/** Points at which the automatic 2.5pt lock engages (and then exits at breakeven). */
export const TWO_HALF_LOCK_POINTS = 2.5;

export interface ExitRules {
  /** Soft stop at `threshold` open points: -2.0 is live at once; +0.5 once open points passed it. */
  protect: { enabled: boolean; threshold: ProtectThreshold };
  /** Exit when open points reach `target`. */
  points_tp: { enabled: boolean; target: number };
  /** Exit after `target` 6pt bars against the position (counted while armed). */
  signal_tp: { armed: boolean; target: number; count: number };
  /** Exit on the next 8pt bar after arming (whatever its colour). */
  high_next_bar_exit: { armed: boolean };
  /** Exit when a 6pt bar prints against the position. */
  main_flip_exit: { enabled: boolean };
  /** Exit when a 4pt bar prints against the position. */
  four_pt_invalidation: { enabled: boolean };
  /** On every 6pt bar: exit when realised + open P&L of the day reached the daily stop. */
  auto_exit: { enabled: boolean; timeframe: '6pt' };
  /** Automatic only: engages at +2.5 open points, then exits at breakeven (0 points). */
  two_half_lock: { engaged: boolean };
}

export const defaultExitRules = (signalTarget = 3): ExitRules => ({
  protect: { enabled: false, threshold: -2 },
  points_tp: { enabled: false, target: 10 },
  signal_tp: { armed: false, target: signalTarget, count: 0 },
  high_next_bar_exit: { armed: false },
  main_flip_exit: { enabled: false },
  four_pt_invalidation: { enabled: false },
  auto_exit: { enabled: true, timeframe: '6pt' },
  two_half_lock: { engaged: false },
});

export interface OpenTrade {
  direction: Direction;
  /** Open points now and the best seen since entry. */
  points: number;
  bestPoints: number;
}

/**
 * Price rules, checked on every price update. Mutates only `rules.two_half_lock.engaged`.
 * Returns the exit reason, or null.
 */
export function priceExit(rules: ExitRules, t: OpenTrade): string | null {
  if (!rules.two_half_lock.engaged && t.bestPoints >= TWO_HALF_LOCK_POINTS) rules.two_half_lock.engaged = true;
  if (rules.points_tp.enabled && t.points >= rules.points_tp.target) return `points take-profit: +${t.points} points reached the ${rules.points_tp.target} point target`;
  if (rules.protect.enabled) {
    const th = rules.protect.threshold;
    const live = th < 0 || t.bestPoints > th;
    if (live && t.points <= th) return `protect: open points ${t.points} at or below the ${th} point threshold`;
  }
  if (rules.two_half_lock.engaged && t.points <= 0) return `2.5pt lock: back to breakeven after reaching +${TWO_HALF_LOCK_POINTS} points`;
  return null;
}

/**
 * Bar rules, checked on every Renko bar of the position's asset. Mutates the signal count and
 * the one-shot 8pt arming. Returns the exit reason, or null.
 */
export function barExit(rules: ExitRules, direction: Direction, size: number, color: RenkoColor): string | null {
  const against = colorDirection(color) !== direction;
  if (size === 8 && rules.high_next_bar_exit.armed) {
    rules.high_next_bar_exit.armed = false;
    return '8pt next-bar exit: the next 8pt bar printed';
  }
  if (size === 6 && against && rules.signal_tp.armed) {
    rules.signal_tp.count += 1;
    if (rules.signal_tp.count >= rules.signal_tp.target) return `signal-count take-profit: ${rules.signal_tp.count} opposite 6pt bars (target ${rules.signal_tp.target})`;
  }
  if (size === 6 && against && rules.main_flip_exit.enabled) return `6pt flip exit: a ${color} 6pt bar against the ${direction} position`;
  if (size === 4 && against && rules.four_pt_invalidation.enabled) return `4pt invalidation: a ${color} 4pt bar against the ${direction} position`;
  return null;
}
