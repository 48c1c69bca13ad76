import { DAY_MS, utcDayStart } from '../../core/clock.js';
import type { Position } from '../../core/portfolio-types.js';
import { remaining, zoneOf, type Direction } from '../../strategies/renko/rules.js';
import type { AssetDeskState, DeskState, RenkoDeskConfig } from './state.js';

export interface CheckInput {
  now: number;
  asset: string;
  contract: string;
  state: DeskState;
  a: AssetDeskState;
  config: RenkoDeskConfig;
  position: Position | undefined;
  lastHeartbeat: number | null;
  /** What counts as the heartbeat, for the messages ('TradingView heartbeat' or 'price'). */
  heartbeatFrom?: string;
  direction: Direction | null;
  override: boolean;
  /** Pre-order creation: the tempo token is checked when the pre-order fires on the next 6pt bar. */
  skipTempo?: boolean;
  /** A pre-order firing does not block itself (check 4). */
  ignorePreorder?: boolean;
}

export type CheckResult = { ok: true; direction: Direction | null } | { ok: false; check: number; error: string };

const usd = (v: number): string => `${v < 0 ? '-' : ''}${Math.abs(v).toFixed(2)} USD`;
const sideName = (p: Position): string => (p.side === 'long' ? 'LONG' : 'SHORT');

/**
 * Seed 003's eight entry checks, in the seed's order; the first failing one answers. The daily
 * trade limit belongs to check 1 (the day is over for entries either way).
 */
export function entryChecks(i: CheckInput): CheckResult {
  const { now, a, state, config } = i;
  const dayLeft = remaining(utcDayStart(now) + DAY_MS - now);
  // 1. Daily stop not triggered (realised P&L, then the daily trade limit).
  if (state.daily_stop_triggered_at !== null || state.realized_pnl <= -config.dailyStopUsd) {
    const by = state.daily_stop_by;
    const what = by?.source === 'broker' ? `broker day P&L ${usd(by.pnl)} (P&L snapshot)` : by && by.pnl !== state.realized_pnl ? `day P&L ${usd(by.pnl)}` : `realised P&L ${usd(state.realized_pnl)}`;
    return { ok: false, check: 1, error: `DAILY STOP HIT — ${what} reached the -${config.dailyStopUsd.toFixed(2)} USD limit (${dayLeft} remaining)` };
  }
  if (state.trades_used >= config.dailyTradeLimit) {
    return { ok: false, check: 1, error: `DAILY TRADE LIMIT REACHED — ${state.trades_used} of ${config.dailyTradeLimit} trades used today (${dayLeft} remaining)` };
  }
  // 2. Post-exit cooldown not active.
  if (a.cooldown_until !== null && a.cooldown_until > now) {
    return { ok: false, check: 2, error: `COOLDOWN ACTIVE — post-exit cooldown (${remaining(a.cooldown_until - now)} remaining)` };
  }
  // 3. 5-minute candle lock not active.
  if (a.candle_lock_until !== null && a.candle_lock_until > now) {
    return { ok: false, check: 3, error: `5 MIN LOCK ACTIVE — one trade already used this candle (${remaining(a.candle_lock_until - now)} remaining)` };
  }
  // 4. No existing pending order (a working order or an armed pre-order).
  if (a.pending_order) {
    const p = a.pending_order;
    return { ok: false, check: 4, error: `PENDING ORDER EXISTS — ${p.kind} ${p.side} ${p.qty} ${i.contract} (order ${p.id}) is still working` };
  }
  if (a.preorder && !i.ignorePreorder) {
    return { ok: false, check: 4, error: `PENDING ORDER EXISTS — a ${a.preorder.direction ?? 'structure-direction'} pre-order waits for the next 6pt bar; cancel it first` };
  }
  // 5. No open position (no pyramiding).
  if (i.position) {
    return { ok: false, check: 5, error: `POSITION OPEN — no pyramiding: ${sideName(i.position)} ${i.position.qty} ${i.contract} (use scale-in)` };
  }
  // 6. Heartbeat fresh (< 10 minutes).
  const maxAge = config.heartbeatMaxAgeMinutes * 60_000;
  const what = i.heartbeatFrom ?? 'price';
  if (i.lastHeartbeat === null) return { ok: false, check: 6, error: `NO HEARTBEAT — no ${what} received for ${i.asset} yet` };
  if (now - i.lastHeartbeat >= maxAge) {
    return { ok: false, check: 6, error: `HEARTBEAT STALE — last ${what} ${remaining(now - i.lastHeartbeat)} ago (limit ${remaining(maxAge)})` };
  }
  // 7. Tempo token READY.
  if (!i.skipTempo && a.tempo !== 'READY') {
    return {
      ok: false,
      check: 7,
      error: a.tempo === 'SPENT' ? 'TEMPO TOKEN SPENT — already used on this 6pt bar; wait for the next 6pt bar' : 'TEMPO TOKEN NOT READY — no 6pt bar received yet',
    };
  }
  // 8. Zone entry gate.
  const z = zoneOf(a.bars['8']?.color ?? null, a.bars['12']?.color ?? null);
  if (z.zone === 'FREE') {
    if (!i.direction) return { ok: false, check: 8, error: 'ZONE GATE — FREE zone (8pt and 12pt disagree or missing): send an explicit direction BUY or SELL' };
    return { ok: true, direction: i.direction };
  }
  if (i.direction && i.direction !== z.direction && !i.override) {
    return {
      ok: false,
      check: 8,
      error: `ZONE GATE — NORMAL zone structure is ${z.direction} (8pt ${a.bars['8']?.color}, 12pt ${a.bars['12']?.color}); ${i.direction} refused (entry_override bypasses)`,
    };
  }
  return { ok: true, direction: i.direction ?? z.direction };
}
