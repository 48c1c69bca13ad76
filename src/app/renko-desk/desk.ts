import type { OrderSource } from '../../engine/account-risk.js';
import { DAY_MS, utcDay, utcDayStart, type Clock } from '../../core/clock.js';
import { isOrderOpen, type Order } from '../../core/orders.js';
import { closingSide, type Position } from '../../core/portfolio-types.js';
import type { RenkoBar } from '../../core/renko.js';
import type { Kernel } from '../../engine/kernel.js';
import type { MessageBus } from '../../engine/message-bus.js';
import {
  barExit,
  candleEnd,
  INTENT_TRANSITIONS,
  openPoints,
  PROTECT_THRESHOLDS,
  priceExit,
  remaining,
  step,
  TEMPO_TRANSITIONS,
  zoneOf,
  type Direction,
  type ProtectThreshold,
} from '../../strategies/renko/rules.js';
import { entryChecks } from './checks.js';
import { brokerPnl, dailyStopReached } from './daily-stop.js';
import { restoreState, type AssetDeskState, type BarKey, type DeskEnv, type DeskState, type RenkoDeskConfig, type SizeMode, type TradeMode } from './state.js';

/** Where the desk keeps its state: the store's meta table (JSON under one key). */
export interface DeskStateStore {
  getMeta(key: string): string | null;
  setMeta(key: string, value: string): void;
  /** One transaction around `fn` (the SQLite store's); without it the writes commit one by one. */
  atomically?<T>(fn: () => T): T;
}

export interface RenkoDeskDeps {
  clock: Clock;
  /**
   * The seam to the broker: the account the desk trades. Its execution engine places every
   * order (client id persisted first) and its portfolio holds the positions the desk tracks.
   * The composition root builds it on a PaperBroker (DEMO); a bridge account's kernel (whose
   * broker is the BridgeBroker) plugs in here unchanged.
   */
  kernel: Kernel;
  /** Where Renko bars and level exits arrive ({type:'renko'}, {type:'level-exit'}). */
  signals: MessageBus;
  store: DeskStateStore;
  config: RenkoDeskConfig;
  /**
   * Last price heartbeat of an asset, ms; null when none yet. Only what the asset's bar source
   * counts: with TradingView as the source the feed's prices are no heartbeat (check 6).
   */
  heartbeat: (asset: string) => number | null;
  /** The asset's last price from its bar source (TradingView's heartbeat); prices an entry before the kernel has a tick. */
  lastPrice?: (asset: string) => number | null;
  /** Where the asset's bars come from and where its last heartbeat came from (state view). */
  heartbeatSource?: (asset: string) => { bars: string | null; heartbeat: string | null };
  /** Changes when the heartbeats changed for a reason other than time (TradingViewDesk.revision). */
  heartbeatRevision?: () => number;
  /**
   * The account an environment trades on (POST /api/env): `null` = the desk's own account
   * (`kernel`), a kernel = an exchange account (LIVE: mainnet, DEMO: the venue's testnet), or a
   * refusal saying what is missing. Absent: DEMO is the desk's own account, LIVE is refused.
   */
  envAccount?: (env: DeskEnv) => EnvAccount;
  botId?: string;
  stateKey?: string;
}

export type EnvAccount = { ok: true; kernel: Kernel | null } | { ok: false; reason: string };

export type DeskResult = { ok: true; body: Record<string, unknown> } | { ok: false; status: number; error: string };

type Body = Record<string, unknown>;
const fail = (status: number, error: string): DeskResult => ({ ok: false, status, error });
const DIRECTIONS = ['BUY', 'SELL'] as const;

/**
 * The Renko operator desk (seed 003) for the configured assets: entry checks, operator
 * controls, exit rules fired by Renko bars and prices, state persisted on every change.
 */
export class RenkoDesk {
  private state: DeskState;
  private readonly botId: string;
  private readonly key: string;
  private readonly assetOfSymbol = new Map<string, string>();
  /** The source the desk's orders are submitted with: `desk`, or what is driving it right now. */
  private source: OrderSource = 'desk';
  /** The account the desk trades now: its own (`deps.kernel`) or its environment's exchange account. */
  private kernel: Kernel;
  private detach: (() => void)[] = [];

  constructor(private readonly deps: RenkoDeskDeps) {
    this.kernel = deps.kernel;
    this.botId = deps.botId ?? 'renko-desk';
    this.key = deps.stateKey ?? 'renkoDesk.state';
    const assets = Object.keys(deps.config.assets);
    for (const a of assets) {
      const symbol = deps.config.assets[a]?.symbol as string;
      deps.kernel.instruments.get(symbol);
      this.assetOfSymbol.set(symbol, a);
    }
    this.state = restoreState(deps.store.getMeta(this.key), assets, utcDay(deps.clock.now()), deps.config.signalTpTarget);
    // The environment the desk was in: its account, or DEMO when that account is gone (no credentials).
    const restored = this.accountOf(this.state.env);
    if (restored.ok) this.kernel = restored.kernel ?? deps.kernel;
    else this.state.env = 'DEMO';
    // Reconcile with what the kernel restored: a pending order that is no longer open is done.
    const open = new Set(this.kernel.execution.openOrders().map((o) => o.id));
    for (const a of Object.values(this.state.assets)) if (a.pending_order && !open.has(a.pending_order.id)) a.pending_order = null;
    this.save();

    // A webhook's order, its queue row and the desk state it changes commit together (one fsync).
    // Orders caused by TradingView's bricks and level exits are submitted as source `tradingview`.
    deps.signals.on('renko', ({ bar }) => this.as('tradingview', () => this.atomic(() => this.onBar(bar))));
    deps.signals.on('level-exit', ({ asset }) => this.as('tradingview', () => this.atomic(() => this.onLevelExit(asset))));
    this.attach(this.kernel);
  }

  /** Follows the account the desk trades: its prices, orders, fills and closed trades. */
  private attach(kernel: Kernel): void {
    for (const off of this.detach) off();
    const bus = kernel.bus;
    this.detach = [
      bus.on('tick', ({ tick }) => this.onPrice(tick.symbol, tick.price)),
      bus.on('order', ({ order }) => {
        this.revision += 1;
        this.onOrder(order);
      }),
      bus.on('fill', ({ order }) => {
        this.revision += 1;
        this.onFill(order);
      }),
      bus.on('trade-closed', ({ trade }) => this.onTradeClosed(trade.botId, trade.symbol, trade.netPnl, trade.closedAt)),
    ];
    this.kernel = kernel;
  }

  private accountOf(env: DeskEnv): EnvAccount {
    if (this.deps.envAccount) return this.deps.envAccount(env);
    return env === 'DEMO' ? { ok: true, kernel: null } : { ok: false, reason: 'no live broker credentials are configured' };
  }

  /** The account the desk trades now (its own, or its environment's exchange account). */
  get account(): Kernel {
    return this.kernel;
  }

  get assets(): string[] {
    return Object.keys(this.state.assets);
  }

  // ---- operator routes -------------------------------------------------------------------

  /** POST /api/orders: a market entry or a pre-order, after the eight checks. */
  order(body: Body): DeskResult {
    return this.atomic(() => this.orderNow(body));
  }

  private orderNow(body: Body): DeskResult {
    const asset = this.asset(body.asset);
    if (!asset) return this.unknownAsset(body.asset);
    const tradeMode = (body.trade_mode ?? 'SCALP') as TradeMode;
    if (tradeMode !== 'SCALP' && tradeMode !== 'RUNNER') return fail(400, 'trade_mode must be SCALP or RUNNER');
    const orderType = String(body.order_type ?? 'market').toLowerCase();
    if (orderType !== 'market' && orderType !== 'preorder') return fail(400, 'order_type must be market or preorder');
    const sizeMode = (body.entry_size_mode ?? '6pt') as SizeMode;
    if (sizeMode !== '6pt' && sizeMode !== '9pt') return fail(400, 'entry_size_mode must be 6pt or 9pt');
    const rawDirection = body.direction == null || body.direction === '' ? null : String(body.direction).toUpperCase();
    if (rawDirection !== null && !DIRECTIONS.includes(rawDirection as Direction)) return fail(400, 'direction must be BUY or SELL');
    const direction = rawDirection as Direction | null;
    if (body.entry_override !== undefined && typeof body.entry_override !== 'boolean') return fail(400, 'entry_override must be true or false');
    const override = body.entry_override === true;

    const a = this.a(asset);
    const check = this.check(asset, direction, override, { skipTempo: orderType === 'preorder' });
    if (!check.ok) return fail(409, check.error);
    const now = this.deps.clock.now();
    if (orderType === 'preorder') {
      a.preorder = { direction, trade_mode: tradeMode, entry_size_mode: sizeMode, entry_override: override, created_at: now };
      a.preorder_last = null;
      this.save();
      return { ok: true, body: { ok: true, preorder: a.preorder, state: this.assetView(asset) } };
    }
    const placed = this.placeEntry(asset, check.direction as Direction, tradeMode, sizeMode, 'ENTRY');
    if (!placed.ok) return placed;
    return { ok: true, body: { ok: true, order: placed.order, state: this.assetView(asset) } };
  }

  exit(body: Body): DeskResult {
    return this.atomic(() => this.exitNow(body));
  }

  private exitNow(body: Body): DeskResult {
    const asset = this.asset(body.asset);
    if (!asset) return this.unknownAsset(body.asset);
    const r = this.manualExit(asset, body.force === true);
    if (!r.ok) return r;
    return { ok: true, body: { ok: true, order: r.order, state: this.assetView(asset) } };
  }

  /**
   * POST /api/exit-all: an exit for every open desk position. Each position it could not exit is
   * listed in `skipped` with why (code exit_lock, exit_pending or rejected; the exit lock's
   * remaining seconds); `ok` is true only when none was skipped, and `error` then says what stayed
   * open. Always 200: the orders it did place are in the answer either way.
   */
  exitAll(body: Body): DeskResult {
    return this.atomic(() => this.exitAllNow(body));
  }

  private exitAllNow(body: Body): DeskResult {
    const force = body.force === true;
    const orders: Body[] = [];
    const skipped: Body[] = [];
    for (const asset of this.assets) {
      const p = this.position(asset);
      if (!p) continue;
      const r = this.manualExit(asset, force);
      if (r.ok) {
        orders.push({ asset, order_id: r.order.id, side: r.order.side, qty: r.order.qty });
        continue;
      }
      const until = this.a(asset).exit_lock_until;
      skipped.push({
        asset,
        symbol: this.deps.config.assets[asset]?.contract,
        position_id: p.id,
        side: p.side === 'long' ? 'BUY' : 'SELL',
        qty: p.qty,
        code: r.code,
        reason: r.error,
        ...(r.code === 'exit_lock' && until !== null ? { retry_after_s: Math.ceil((until - this.deps.clock.now()) / 1000) } : {}),
      });
    }
    if (skipped.length === 0) return { ok: true, body: { ok: true, orders, skipped } };
    const what = skipped.map((x) => `${String(x.asset)}: ${String(x.reason)}`).join('; ');
    return { ok: true, body: { ok: false, error: `${skipped.length} position(s) NOT exited — ${what}`, orders, skipped } };
  }

  scaleIn(body: Body): DeskResult {
    const asset = this.asset(body.asset);
    if (!asset) return this.unknownAsset(body.asset);
    const why = this.scaleInBlock(asset);
    if (why) return fail(409, why);
    const a = this.a(asset);
    const p = this.position(asset) as Position;
    const placed = this.placeEntry(asset, p.side === 'long' ? 'BUY' : 'SELL', a.trade_mode ?? 'SCALP', a.entry_size_mode ?? '6pt', 'SCALE_IN');
    if (!placed.ok) return placed;
    return { ok: true, body: { ok: true, order: placed.order, state: this.assetView(asset) } };
  }

  protect(body: Body): DeskResult {
    return this.withAsset(body, (a) => {
      if (body.enabled !== undefined && typeof body.enabled !== 'boolean') return 'enabled must be true or false';
      if (body.threshold !== undefined) {
        const t = Number(body.threshold);
        if (!PROTECT_THRESHOLDS.includes(t as ProtectThreshold)) return 'PROTECT THRESHOLD REFUSED — allowed thresholds are -2.0 or 0.5 points';
        a.exits.protect.threshold = t as ProtectThreshold;
      }
      a.exits.protect.enabled = body.enabled === undefined ? true : body.enabled === true;
      return { protect: a.exits.protect };
    });
  }

  pointsTakeProfit(body: Body): DeskResult {
    return this.withAsset(body, (a) => {
      if (body.enabled !== undefined && typeof body.enabled !== 'boolean') return 'enabled must be true or false';
      if (body.target !== undefined) {
        const t = Number(body.target);
        if (!(t > 0 && t <= 1000)) return 'target must be a positive number of points';
        a.exits.points_tp.target = t;
      }
      a.exits.points_tp.enabled = body.enabled === undefined ? true : body.enabled === true;
      return { points_tp: a.exits.points_tp };
    });
  }

  /** Signal-count take-profit: tp_arm ('toggle' or a boolean), tp_target, reset. */
  takeProfit(body: Body): DeskResult {
    return this.withAsset(body, (a) => {
      const tp = a.exits.signal_tp;
      if (body.tp_target !== undefined) {
        const t = Number(body.tp_target);
        if (!(Number.isInteger(t) && t >= 1 && t <= 50)) return 'tp_target must be a whole number of 6pt bars from 1 to 50';
        tp.target = t;
      }
      if (body.tp_arm === 'toggle') tp.armed = !tp.armed;
      else if (typeof body.tp_arm === 'boolean') tp.armed = body.tp_arm;
      else if (body.tp_arm !== undefined) return 'tp_arm must be "toggle", true or false';
      if (body.reset === true) tp.count = 0;
      return { signal_tp: tp };
    });
  }

  highNextBarExit(body: Body): DeskResult {
    return this.withAsset(body, (a) => {
      a.exits.high_next_bar_exit.armed = typeof body.enabled === 'boolean' ? body.enabled : !a.exits.high_next_bar_exit.armed;
      return { high_next_bar_exit: a.exits.high_next_bar_exit };
    });
  }

  mainFlipExit(body: Body): DeskResult {
    return this.withAsset(body, (a) => {
      a.exits.main_flip_exit.enabled = typeof body.enabled === 'boolean' ? body.enabled : !a.exits.main_flip_exit.enabled;
      return { main_flip_exit: a.exits.main_flip_exit };
    });
  }

  fourPtInvalidation(body: Body): DeskResult {
    return this.withAsset(body, (a) => {
      a.exits.four_pt_invalidation.enabled = typeof body.enabled === 'boolean' ? body.enabled : !a.exits.four_pt_invalidation.enabled;
      return { four_pt_invalidation: a.exits.four_pt_invalidation };
    });
  }

  /** The timeframe is locked to 6pt; `enabled` may switch the rule. */
  autoExit(body: Body): DeskResult {
    return this.withAsset(body, (a) => {
      if (body.timeframe !== undefined && body.timeframe !== '6pt') return 'AUTO-EXIT TIMEFRAME LOCKED — the auto-exit timeframe is 6pt';
      if (typeof body.enabled === 'boolean') a.exits.auto_exit.enabled = body.enabled;
      return { auto_exit: a.exits.auto_exit };
    });
  }

  intent(body: Body): DeskResult {
    return this.withAsset(body, (a) => {
      if (a.intent.state !== 'NONE') return `INTENT ALREADY ACTIVE — ${a.intent.state}; cancel it first`;
      a.intent = { state: step(INTENT_TRANSITIONS, a.intent.state, 'create'), created_at: this.deps.clock.now(), ready_bar_id: null, last_outcome: null };
      return { intent: a.intent };
    });
  }

  intentCancel(body: Body): DeskResult {
    return this.withAsset(body, (a) => {
      if (a.intent.state === 'NONE') return 'NO ACTIVE INTENT';
      a.intent = { ...a.intent, state: step(INTENT_TRANSITIONS, a.intent.state, 'cancel'), last_outcome: 'cancelled' };
      return { intent: a.intent };
    });
  }

  preorderCancel(body: Body): DeskResult {
    return this.withAsset(body, (a) => {
      if (!a.preorder) return 'NO ACTIVE PRE-ORDER';
      a.preorder = null;
      a.preorder_last = 'cancelled by operator';
      return { preorder: null };
    });
  }

  twoHalfLock(): DeskResult {
    return fail(423, '2.5PT LOCK IS AUTOMATIC — manual lock management is disabled');
  }

  consumeTrade(): DeskResult {
    this.rollDay();
    const limit = this.deps.config.dailyTradeLimit;
    if (this.state.trades_used >= limit) return fail(409, `DAILY TRADE LIMIT REACHED — ${this.state.trades_used} of ${limit} trades used today`);
    this.state.trades_used += 1;
    this.save();
    return { ok: true, body: { ok: true, trades_used: this.state.trades_used, trade_limit: limit, trades_remaining: limit - this.state.trades_used } };
  }

  setEnv(body: Body): DeskResult {
    const env = String(body.env ?? '').toUpperCase() as DeskEnv;
    if (env !== 'DEMO' && env !== 'LIVE') return fail(400, 'env must be DEMO or LIVE');
    const current = this.state.env;
    const target = this.accountOf(env);
    if (!target.ok) return fail(403, `${env} REFUSED — ${target.reason}; staying in ${current}`);
    const kernel = target.kernel ?? this.deps.kernel;
    if (kernel !== this.kernel) {
      // A position or an order on the account being left would no longer be managed by the desk.
      const busy = this.assets.filter((a) => this.position(a) || this.state.assets[a]?.pending_order);
      if (busy.length > 0) return fail(409, `${env} REFUSED — ${busy.join(', ')} has an open position or a pending order on ${this.kernel.accountId}: close it first; staying in ${current}`);
      this.attach(kernel);
    }
    this.state.env = env;
    this.save();
    return { ok: true, body: { ok: true, env, account: kernel.accountId, broker: kernel.broker.name } };
  }

  /**
   * The broker's P&L snapshot (POST /api/rithmic/pnl-snapshot, via the bridge): its realized P&L
   * (plus unrealized, as configured) at or below the daily stop triggers the stop (entries
   * blocked by check 1) and, for each asset whose auto-exit is on, a market exit of its open
   * position. Orders and state commit together.
   */
  pnlSnapshot(data: Record<string, unknown>): { daily_stop_triggered: boolean; day_pnl: number | null; exits: Body[] } {
    return this.atomic(() => {
      this.rollDay();
      const now = this.deps.clock.now();
      const pnl = brokerPnl(data, this.deps.config.pnlSnapshotIncludesUnrealized, now);
      const exits: Body[] = [];
      if (!pnl) return { daily_stop_triggered: this.state.daily_stop_triggered_at !== null, day_pnl: null, exits };
      this.state.broker_pnl = pnl;
      if (dailyStopReached(pnl.day_pnl, this.deps.config.dailyStopUsd)) {
        this.triggerDailyStop('broker', pnl.day_pnl, now);
        for (const asset of this.assets) {
          const a = this.a(asset);
          if (!a.exits.auto_exit.enabled || !this.position(asset) || a.pending_order?.kind === 'EXIT') continue;
          const order = this.ruleExit(asset, `auto-exit: broker day P&L ${pnl.day_pnl.toFixed(2)} reached the -${this.deps.config.dailyStopUsd.toFixed(2)} daily stop`);
          if (order) exits.push({ asset, order_id: order.id, side: order.side, qty: order.qty });
        }
      }
      this.save();
      return { daily_stop_triggered: this.state.daily_stop_triggered_at !== null, day_pnl: pnl.day_pnl, exits };
    });
  }

  // ---- state ------------------------------------------------------------------------------

  /** The desk's part of GET /api/state; releases expired locks and rolls the day. */
  stateView(): Record<string, unknown> {
    this.rollDay();
    const now = this.deps.clock.now();
    let released = false;
    for (const a of Object.values(this.state.assets)) {
      for (const k of ['candle_lock_until', 'cooldown_until', 'exit_lock_until'] as const) {
        const until = a[k];
        if (until !== null && until <= now) {
          a[k] = null;
          released = true;
        }
      }
    }
    if (released) this.save();
    const c = this.deps.config;
    return {
      env: this.state.env,
      broker: this.kernel.broker.name,
      env_account: this.kernel.accountId,
      daily: {
        day: this.state.day,
        realized_pnl: this.state.realized_pnl,
        daily_stop_usd: c.dailyStopUsd,
        daily_stop_triggered: this.state.daily_stop_triggered_at !== null,
        daily_stop_triggered_at: this.state.daily_stop_triggered_at,
        daily_stop_by: this.state.daily_stop_by,
        broker_pnl: this.state.broker_pnl,
        pnl_snapshot_includes_unrealized: c.pnlSnapshotIncludesUnrealized,
        trades_used: this.state.trades_used,
        trade_limit: c.dailyTradeLimit,
        trades_remaining: Math.max(0, c.dailyTradeLimit - this.state.trades_used),
        resets_in_s: Math.ceil((utcDayStart(now) + DAY_MS - now) / 1000),
      },
      assets: Object.fromEntries(this.assets.map((asset) => [asset, this.assetView(asset)])),
    };
  }

  assetView(asset: string): Record<string, unknown> {
    const a = this.a(asset);
    const now = this.deps.clock.now();
    const cfg = this.deps.config.assets[asset];
    const z = zoneOf(a.bars['8']?.color ?? null, a.bars['12']?.color ?? null);
    const lock = (until: number | null) => ({ active: until !== null && until > now, until, remaining_s: until !== null && until > now ? Math.ceil((until - now) / 1000) : 0 });
    const hb = this.deps.heartbeat(asset);
    const p = this.position(asset);
    const dir: Direction | null = p ? (p.side === 'long' ? 'BUY' : 'SELL') : null;
    const block = this.check(asset, null, false, {});
    return {
      asset,
      symbol: cfg?.symbol,
      contract: cfg?.contract,
      zone: z.zone,
      zone_direction: z.direction,
      tempo: { token: a.tempo, last_6pt_bar_id: a.bars['6']?.bar_id ?? null },
      bars: a.bars,
      heartbeat: {
        last_ts: hb,
        age_s: hb === null ? null : Math.floor((now - hb) / 1000),
        fresh: hb !== null && now - hb < this.deps.config.heartbeatMaxAgeMinutes * 60_000,
        source: this.deps.heartbeatSource?.(asset).heartbeat ?? null,
      },
      bar_source: this.deps.heartbeatSource?.(asset).bars ?? null,
      locks: { candle_5min: lock(a.candle_lock_until), cooldown: lock(a.cooldown_until), exit: lock(a.exit_lock_until), two_half: { automatic: true, engaged: a.exits.two_half_lock.engaged } },
      entry_allowed: block.ok,
      entry_block: block.ok ? null : block.error,
      intent: a.intent,
      pending_order: a.pending_order,
      preorder: a.preorder,
      preorder_last: a.preorder_last,
      position: p && dir
        ? { side: dir, qty: p.qty, avg_price: p.avgPrice, mark_price: p.markPrice, open_points: openPoints(dir, p.avgPrice, p.markPrice), unrealized_pnl: p.unrealizedPnl, opened_at: p.openedAt, id: p.id }
        : null,
      trade_mode: a.trade_mode,
      entry_size_mode: a.entry_size_mode,
      scale_in_available: this.scaleInBlock(asset) === null,
      scale_ins: a.scale_ins,
      exits: a.exits,
      last_exit: a.last_exit,
    };
  }

  // ---- events -----------------------------------------------------------------------------

  private onBar(bar: RenkoBar): void {
    const a = this.state.assets[bar.asset];
    if (!a) return;
    a.bars[String(bar.size) as BarKey] = { color: bar.color, bar_id: bar.barId, ts: bar.ts };
    const p = this.position(bar.asset);
    if (bar.size === 6) {
      a.tempo = step(TEMPO_TRANSITIONS, a.tempo, 'bar6');
      const before = a.intent.state;
      a.intent.state = step(INTENT_TRANSITIONS, before, 'bar6');
      if (before === 'ARMED') a.intent.ready_bar_id = bar.barId;
      if (before === 'READY') a.intent.last_outcome = 'expired unused';
      if (p && a.exits.auto_exit.enabled) this.autoExitCheck(bar.asset, p);
    }
    if (p && a.pending_order?.kind !== 'EXIT') {
      const reason = barExit(a.exits, p.side === 'long' ? 'BUY' : 'SELL', bar.size, bar.color);
      if (reason) this.ruleExit(bar.asset, reason);
    }
    if (bar.size === 6 && a.preorder) this.firePreorder(bar.asset);
    this.save();
  }

  private autoExitCheck(asset: string, p: Position): void {
    const a = this.a(asset);
    if (a.pending_order?.kind === 'EXIT') return;
    const dayPnl = Math.round((this.state.realized_pnl + p.unrealizedPnl) * 100) / 100;
    if (dayPnl <= -this.deps.config.dailyStopUsd) {
      this.triggerDailyStop('desk', dayPnl, this.deps.clock.now());
      this.ruleExit(asset, `auto-exit (6pt): day P&L ${dayPnl.toFixed(2)} reached the -${this.deps.config.dailyStopUsd.toFixed(2)} daily stop`);
    }
  }

  private firePreorder(asset: string): void {
    const a = this.a(asset);
    const pre = a.preorder;
    if (!pre) return;
    a.preorder = null;
    const check = this.check(asset, pre.direction, pre.entry_override, { ignorePreorder: true });
    if (!check.ok) {
      a.preorder_last = `dropped: ${check.error}`;
      return;
    }
    const placed = this.placeEntry(asset, check.direction as Direction, pre.trade_mode, pre.entry_size_mode, 'ENTRY');
    a.preorder_last = placed.ok ? `fired: order ${placed.order.id}` : `dropped: ${placed.error}`;
  }

  private onLevelExit(asset: string): void {
    if (!this.state.assets[asset] || !this.position(asset)) return;
    if (this.a(asset).pending_order?.kind === 'EXIT') return;
    this.ruleExit(asset, 'level exit (TradingView /tv_level_exit)');
    this.save();
  }

  private onPrice(symbol: string, price: number): void {
    const asset = this.assetOfSymbol.get(symbol);
    if (!asset) return;
    const p = this.position(asset);
    if (!p) return;
    const a = this.a(asset);
    const dir: Direction = p.side === 'long' ? 'BUY' : 'SELL';
    const points = openPoints(dir, p.avgPrice, price);
    a.best_points = Math.max(a.best_points ?? points, points);
    if (a.pending_order?.kind === 'EXIT') return;
    const engaged = a.exits.two_half_lock.engaged;
    const reason = priceExit(a.exits, { direction: dir, points, bestPoints: a.best_points });
    if (reason) this.ruleExit(asset, reason);
    if (reason || engaged !== a.exits.two_half_lock.engaged) this.save();
  }

  private onOrder(order: Order): void {
    if (order.botId !== this.botId || isOrderOpen(order)) return;
    const asset = this.assetOfSymbol.get(order.symbol);
    const a = asset ? this.state.assets[asset] : undefined;
    if (a?.pending_order?.id !== order.id) return;
    a.pending_order = null;
    this.save();
  }

  private onFill(order: Order): void {
    if (order.botId !== this.botId || order.purpose !== 'entry') return;
    const asset = this.assetOfSymbol.get(order.symbol);
    if (!asset) return;
    const a = this.a(asset);
    const now = this.deps.clock.now();
    a.exit_lock_until = now + this.deps.config.exitLockSeconds * 1000;
    if (order.reason?.includes('SCALE_IN')) {
      this.save();
      return;
    }
    a.best_points = 0;
    a.exits.signal_tp.count = 0;
    a.exits.two_half_lock.engaged = false;
    if (a.trade_mode === 'SCALP' && !a.exits.points_tp.enabled) a.exits.points_tp = { enabled: true, target: this.deps.config.scalpTargetPoints };
    if (a.trade_mode === 'RUNNER') a.exits.main_flip_exit.enabled = true;
    this.save();
  }

  private onTradeClosed(botId: string, symbol: string, netPnl: number, closedAt: number): void {
    if (botId !== this.botId) return;
    const asset = this.assetOfSymbol.get(symbol);
    if (!asset) return;
    this.rollDay();
    const a = this.a(asset);
    this.state.realized_pnl = Math.round((this.state.realized_pnl + netPnl) * 100) / 100;
    if (this.state.realized_pnl <= -this.deps.config.dailyStopUsd) this.triggerDailyStop('desk', this.state.realized_pnl, closedAt);
    a.cooldown_until = closedAt + this.deps.config.cooldownMinutes * 60_000;
    a.exit_lock_until = null;
    a.tempo = step(TEMPO_TRANSITIONS, a.tempo, 'exit');
    a.trade_mode = null;
    a.entry_size_mode = null;
    a.scale_ins = 0;
    a.best_points = null;
    a.exits.high_next_bar_exit.armed = false;
    a.exits.signal_tp.count = 0;
    a.exits.two_half_lock.engaged = false;
    this.save();
  }

  // ---- orders -----------------------------------------------------------------------------

  private placeEntry(asset: string, direction: Direction, tradeMode: TradeMode, sizeMode: SizeMode, kind: 'ENTRY' | 'SCALE_IN'): { ok: true; order: Body } | { ok: false; status: number; error: string } {
    const a = this.a(asset);
    const k = this.kernel;
    const cfg = this.deps.config.assets[asset] as { symbol: string; contract: string };
    const qty = this.deps.config.sizes[sizeMode];
    const now = this.deps.clock.now();
    if (kind === 'ENTRY') {
      a.trade_mode = tradeMode;
      a.entry_size_mode = sizeMode;
      a.scale_ins = 0;
    }
    const submitted = k.submit(
      {
        botId: this.botId,
        symbol: cfg.symbol,
        side: direction === 'BUY' ? 'buy' : 'sell',
        type: 'market',
        purpose: 'entry',
        qty,
        reason: `renko desk ${kind} ${tradeMode} ${sizeMode} ${asset}`,
        tag: `renko-${tradeMode}`,
        // The risk engine's exposure check needs a price: TradingView's when the kernel has no tick yet.
        ...refPriceOf(this.deps.lastPrice?.(asset)),
      },
      this.source,
    );
    if (!submitted.ok) {
      this.save();
      return { ok: false, status: submitted.code === 'invalid' ? 400 : 409, error: `RISK REFUSED — ${submitted.code}: ${submitted.message}` };
    }
    const order = submitted.order;
    if (order.status === 'rejected' || order.status === 'cancelled') {
      this.save();
      return { ok: false, status: 502, error: `ORDER REJECTED — ${order.reason ?? 'by the broker'}` };
    }
    if (isOrderOpen(order)) a.pending_order = { id: order.id, kind, side: direction, qty: order.qty, reason: order.reason ?? '', created_at: now };
    if (kind === 'ENTRY') {
      this.state.trades_used += 1;
      a.candle_lock_until = candleEnd(now);
      a.tempo = step(TEMPO_TRANSITIONS, a.tempo, 'entry');
      a.intent.state = step(INTENT_TRANSITIONS, a.intent.state, 'use');
      if (a.intent.state === 'NONE' && a.intent.ready_bar_id) a.intent.last_outcome ??= `used by order ${order.id}`;
    } else {
      a.scale_ins += 1;
    }
    this.save();
    return { ok: true, order: this.orderBody(asset, order) };
  }

  private manualExit(asset: string, force: boolean): { ok: true; order: Body } | { ok: false; status: number; code: 'flat' | 'exit_lock' | 'exit_pending' | 'rejected'; error: string } {
    const a = this.a(asset);
    if (!this.position(asset)) return { ok: false, status: 409, code: 'flat', error: `NO OPEN POSITION — ${asset} is flat` };
    const now = this.deps.clock.now();
    if (!force && a.exit_lock_until !== null && a.exit_lock_until > now) {
      return { ok: false, status: 409, code: 'exit_lock', error: `EXIT LOCK ACTIVE — position just opened (${remaining(a.exit_lock_until - now)} remaining); send force: true to override` };
    }
    if (a.pending_order?.kind === 'EXIT') return { ok: false, status: 409, code: 'exit_pending', error: `EXIT ALREADY PENDING — order ${a.pending_order.id} is still working` };
    const order = this.as('manual', () => this.ruleExit(asset, force ? 'manual exit (forced)' : 'manual exit'));
    this.save();
    if (!order) return { ok: false, status: 502, code: 'rejected', error: 'EXIT FAILED — the exit order was rejected' };
    return { ok: true, order };
  }

  /** Closes the asset's position with a market order; cancels a working entry first. */
  private ruleExit(asset: string, reason: string): Body | null {
    const a = this.a(asset);
    const p = this.position(asset);
    if (!p) return null;
    const k = this.kernel;
    if (a.pending_order && a.pending_order.kind !== 'EXIT') {
      k.execution.cancel(a.pending_order.id, `superseded by exit: ${reason}`);
      a.pending_order = null;
    }
    const side = closingSide(p.side);
    const submitted = k.submit(
      { botId: this.botId, symbol: p.symbol, side, type: 'market', purpose: 'exit', qty: p.qty, reason: `renko desk exit ${asset}: ${reason}`, tag: p.mode },
      this.source,
    );
    if (!submitted.ok) return null;
    const order = submitted.order;
    const now = this.deps.clock.now();
    a.last_exit = { reason, at: now, order_id: order.id };
    if (isOrderOpen(order)) a.pending_order = { id: order.id, kind: 'EXIT', side: side === 'buy' ? 'BUY' : 'SELL', qty: order.qty, reason, created_at: now };
    if (order.status === 'rejected' || order.status === 'cancelled') return null;
    return this.orderBody(asset, order);
  }

  private orderBody(asset: string, order: Order): Body {
    return {
      id: order.id,
      symbol: this.deps.config.assets[asset]?.contract,
      instrument: order.symbol,
      side: order.side.toUpperCase(),
      qty: order.qty,
      type: order.type,
      status: order.status,
      env: this.state.env,
    };
  }

  // ---- helpers ----------------------------------------------------------------------------

  private check(asset: string, direction: Direction | null, override: boolean, opts: { skipTempo?: boolean; ignorePreorder?: boolean }) {
    this.rollDay();
    return entryChecks({
      now: this.deps.clock.now(),
      asset,
      contract: this.deps.config.assets[asset]?.contract ?? asset,
      state: this.state,
      a: this.a(asset),
      config: this.deps.config,
      position: this.position(asset),
      lastHeartbeat: this.deps.heartbeat(asset),
      heartbeatFrom: this.deps.heartbeatSource?.(asset).bars === 'tradingview' ? 'TradingView heartbeat' : 'price',
      direction,
      override,
      ...opts,
    });
  }

  private scaleInBlock(asset: string): string | null {
    const a = this.a(asset);
    const p = this.position(asset);
    if (!p) return `SCALE-IN UNAVAILABLE — ${asset} has no open position`;
    if (a.pending_order) return `SCALE-IN UNAVAILABLE — order ${a.pending_order.id} is still working`;
    if (a.scale_ins >= this.deps.config.maxScaleIns) return `SCALE-IN UNAVAILABLE — ${a.scale_ins} of ${this.deps.config.maxScaleIns} scale-ins used`;
    if (this.state.daily_stop_triggered_at !== null) return 'SCALE-IN UNAVAILABLE — daily stop hit';
    const points = openPoints(p.side === 'long' ? 'BUY' : 'SELL', p.avgPrice, p.markPrice);
    if (points <= 0) return `SCALE-IN UNAVAILABLE — the position is not in profit (${points} points)`;
    return null;
  }

  private withAsset(body: Body, change: (a: AssetDeskState) => Body | string): DeskResult {
    const asset = this.asset(body.asset);
    if (!asset) return this.unknownAsset(body.asset);
    const a = this.a(asset);
    const before = JSON.stringify(a);
    const r = change(a);
    if (typeof r === 'string') {
      Object.assign(a, JSON.parse(before) as AssetDeskState);
      return fail(r.startsWith('INTENT') || r.startsWith('NO ACTIVE') ? 409 : 400, r);
    }
    this.save();
    return { ok: true, body: { ok: true, asset, ...r } };
  }

  private asset(raw: unknown): string | null {
    if (typeof raw !== 'string') return null;
    const name = raw.toUpperCase();
    return this.state.assets[name] ? name : null;
  }

  private unknownAsset(raw: unknown): DeskResult {
    return fail(400, `unknown asset ${raw === undefined ? '(missing)' : String(raw)}: expected one of ${this.assets.join(', ')}`);
  }

  private a(asset: string): AssetDeskState {
    return this.state.assets[asset] as AssetDeskState;
  }

  private position(asset: string): Position | undefined {
    const symbol = this.deps.config.assets[asset]?.symbol;
    if (!symbol) return undefined;
    const p = this.kernel.portfolio.position(symbol);
    return p && p.botId === this.botId ? p : undefined;
  }

  /** A new UTC day clears the day's P&L, trade count and daily stop. */
  private rollDay(): void {
    const day = utcDay(this.deps.clock.now());
    if (day === this.state.day) return;
    this.state.day = day;
    this.state.realized_pnl = 0;
    this.state.trades_used = 0;
    this.state.daily_stop_triggered_at = null;
    this.state.daily_stop_by = null;
    this.state.broker_pnl = null;
    this.save();
  }

  /** The first trigger of the day is kept (when and by what); later ones change nothing. */
  private triggerDailyStop(source: 'desk' | 'broker', pnl: number, at: number): void {
    if (this.state.daily_stop_triggered_at !== null) return;
    this.state.daily_stop_triggered_at = at;
    this.state.daily_stop_by = { source, pnl };
    this.deps.signals.publish({ type: 'daily-stop', accountId: this.kernel.portfolio.accountId, pnl, limit: this.deps.config.dailyStopUsd, source, ts: at });
  }

  /** Bumped on every change of the desk's state, orders or fills (cache key for GET /api/state). */
  private revision = 0;

  get stateRevision(): number {
    // Both counters only grow: their sum changes whenever either does.
    return this.revision + (this.deps.heartbeatRevision?.() ?? 0);
  }

  /**
   * Runs a handler that may place orders and save the state in one store transaction: the exit
   * order, its bridge queue row and the desk state are durable together (one commit instead of
   * three) before the handler returns, i.e. before the webhook is answered or a poll can run.
   */
  private as<T>(source: OrderSource, fn: () => T): T {
    const before = this.source;
    this.source = source;
    try {
      return fn();
    } finally {
      this.source = before;
    }
  }

  private atomic<T>(fn: () => T): T {
    const { store } = this.deps;
    return store.atomically ? store.atomically(fn) : fn();
  }

  private save(): void {
    this.revision += 1;
    this.deps.store.setMeta(this.key, JSON.stringify(this.state));
  }
}

const refPriceOf = (price: number | null | undefined): { refPrice?: number } => (typeof price === 'number' && price > 0 && Number.isFinite(price) ? { refPrice: price } : {});
