import type { RenkoColor } from '../../core/renko.js';
import type { BrokerPnl } from './daily-stop.js';
import { defaultExitRules, type Direction, type ExitRules, type IntentState, type TempoState } from '../../strategies/renko/rules.js';

export type TradeMode = 'SCALP' | 'RUNNER';
export type SizeMode = '6pt' | '9pt';
export type DeskEnv = 'DEMO' | 'LIVE';
export type BarKey = '1' | '2.5' | '4' | '6' | '8' | '12';

export interface DeskAssetConfig {
  /** The kernel instrument the desk's account trades (priced from the feed's asset ticks). */
  symbol: string;
  /** The broker's contract name shown to the operator (e.g. MESM6). */
  contract: string;
}

export interface RenkoDeskConfig {
  assets: Record<string, DeskAssetConfig>;
  /** Realised net loss of the UTC day (account currency) that stops entries. */
  dailyStopUsd: number;
  /** Entries per UTC day (scale-ins do not count). */
  dailyTradeLimit: number;
  cooldownMinutes: number;
  /** Exits are refused (unless forced) this long after an entry fills. */
  exitLockSeconds: number;
  heartbeatMaxAgeMinutes: number;
  /** Contracts per entry for each entry_size_mode. */
  sizes: Record<SizeMode, number>;
  /** SCALP entries switch the points take-profit on at this target. */
  scalpTargetPoints: number;
  signalTpTarget: number;
  maxScaleIns: number;
  /** Broker P&L snapshots count their unrealized P&L toward the daily stop (else realized only). */
  pnlSnapshotIncludesUnrealized: boolean;
}

export interface BarSeen {
  color: RenkoColor;
  bar_id: string;
  ts: number;
}

export interface PendingOrder {
  id: string;
  kind: 'ENTRY' | 'EXIT' | 'SCALE_IN';
  side: Direction;
  qty: number;
  reason: string;
  created_at: number;
}

export interface PreOrder {
  direction: Direction | null;
  trade_mode: TradeMode;
  entry_size_mode: SizeMode;
  entry_override: boolean;
  created_at: number;
}

/** Everything the desk keeps per asset; persisted as JSON, backfilled from these defaults. */
export interface AssetDeskState {
  bars: Record<BarKey, BarSeen | null>;
  tempo: TempoState;
  intent: { state: IntentState; created_at: number | null; ready_bar_id: string | null; last_outcome: string | null };
  candle_lock_until: number | null;
  cooldown_until: number | null;
  exit_lock_until: number | null;
  pending_order: PendingOrder | null;
  preorder: PreOrder | null;
  preorder_last: string | null;
  trade_mode: TradeMode | null;
  entry_size_mode: SizeMode | null;
  scale_ins: number;
  best_points: number | null;
  exits: ExitRules;
  last_exit: { reason: string; at: number; order_id: string } | null;
}

export interface DeskState {
  schema: 1;
  env: DeskEnv;
  day: string;
  realized_pnl: number;
  trades_used: number;
  daily_stop_triggered_at: number | null;
  /** What triggered the daily stop: the desk's own trades or the broker's P&L snapshot, and the figure. */
  daily_stop_by: { source: 'desk' | 'broker'; pnl: number } | null;
  /** The broker's last P&L snapshot of the day (bridge), as compared with the daily stop. */
  broker_pnl: BrokerPnl | null;
  assets: Record<string, AssetDeskState>;
}

export const emptyAsset = (signalTarget: number): AssetDeskState => ({
  bars: { '1': null, '2.5': null, '4': null, '6': null, '8': null, '12': null },
  tempo: 'WAITING',
  intent: { state: 'NONE', created_at: null, ready_bar_id: null, last_outcome: null },
  candle_lock_until: null,
  cooldown_until: null,
  exit_lock_until: null,
  pending_order: null,
  preorder: null,
  preorder_last: null,
  trade_mode: null,
  entry_size_mode: null,
  scale_ins: 0,
  best_points: null,
  exits: defaultExitRules(signalTarget),
  last_exit: null,
});

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Fills every field a stored (older) snapshot lacks from the defaults, recursively. */
export function backfill<T>(defaults: T, stored: unknown): T {
  if (!isObject(defaults) || !isObject(stored)) return stored === undefined ? defaults : (stored as T);
  const out: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(stored)) {
    const d = (defaults as Record<string, unknown>)[k];
    out[k] = d === null || d === undefined ? v : backfill(d, v);
  }
  return out as T;
}

export function restoreState(raw: string | null, assets: readonly string[], day: string, signalTarget: number): DeskState {
  let stored: unknown;
  try {
    stored = raw ? JSON.parse(raw) : null;
  } catch {
    stored = null; // unreadable: start from the defaults
  }
  const s = isObject(stored) ? stored : {};
  const storedAssets = isObject(s.assets) ? s.assets : {};
  return {
    schema: 1,
    env: s.env === 'LIVE' ? 'LIVE' : 'DEMO',
    day: typeof s.day === 'string' ? s.day : day,
    realized_pnl: typeof s.realized_pnl === 'number' ? s.realized_pnl : 0,
    trades_used: typeof s.trades_used === 'number' ? s.trades_used : 0,
    daily_stop_triggered_at: typeof s.daily_stop_triggered_at === 'number' ? s.daily_stop_triggered_at : null,
    daily_stop_by: isObject(s.daily_stop_by) ? (s.daily_stop_by as DeskState['daily_stop_by']) : null,
    broker_pnl: isObject(s.broker_pnl) ? (s.broker_pnl as unknown as BrokerPnl) : null,
    assets: Object.fromEntries(assets.map((a) => [a, backfill(emptyAsset(signalTarget), storedAssets[a])])),
  };
}
