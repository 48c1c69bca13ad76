import type { Instrument } from '../core/instruments.js';
import type { Order, OrderRequest } from '../core/orders.js';
import { remainingQty } from '../core/orders.js';
import type { AccountView, Position } from '../core/portfolio-types.js';

/** Who sent an order: every order of every account enters through `Kernel.submit` with one. */
export const ORDER_SOURCES = ['bot', 'max', 'desk', 'tradingview', 'manual', 'test', 'close', 'emergency'] as const;
export type OrderSource = (typeof ORDER_SOURCES)[number];

/** Why the risk engine refused an order: a stable code for clients, counters and events. */
export const RISK_CODES = [
  'kill_switch',
  'halted',
  'instrument_not_allowed',
  'order_rate',
  'daily_loss_limit',
  'bot_daily_loss_limit',
  'max_positions_account',
  'max_positions_bot',
  'symbol_owner',
  'stop_side',
  'gross_exposure',
  'net_exposure',
  'margin',
  'no_price',
  'sizing',
  'invalid',
] as const;
export type RiskCode = (typeof RISK_CODES)[number];

/** Account-wide limits: the same for every source of orders on the account. */
export interface AccountRiskLimits {
  /** Gross notional (|long| + |short|) of positions and working entries, as a multiple of equity. */
  maxGrossLeverage: number;
  /** |long - short| notional, as a multiple of equity. */
  maxNetLeverage: number;
  /** Positions open plus entries working on symbols without one, over the whole account. */
  maxOpenPositionsPerAccount: number;
  /** The day's loss (equity - day start equity) that stops new entries, in % of day start equity; null: off. */
  dailyLossLimitPct: number | null;
  /** Orders accepted per rolling minute (exits count but are never refused); null: off. */
  maxOrdersPerMinute: number | null;
  /** Symbols entries may be sent for; empty: every instrument the registry knows. */
  allowedInstruments: string[];
  /** Margin: gross notional / account leverage must stay within equity (cash available). */
  marginCheck: boolean;
}

export type RiskVerdict = { ok: true } | { ok: false; code: RiskCode; message: string };

export interface AccountRiskContext {
  account: AccountView;
  instrument: Instrument;
  openPositions: readonly Position[];
  workingOrders: readonly Order[];
  /** The reference price of the order's symbol (last trade or mark); undefined when none is known. */
  price: number | undefined;
  /** The reference price of any symbol: working market entries on other symbols count at it. */
  priceOf?: (symbol: string) => number | undefined;
  now: number;
  /** Engaged kill switch's reason, or null. */
  killSwitch: string | null;
  /** The bot's own limits (a preset's risk block): slots and its daily loss in R. */
  bot?: { maxOpenPositions?: number; dailyLossLimitR?: number | null; riskPerTrade?: number };
}

/**
 * True when the order only takes risk off: it is on the other side of an open position of its
 * symbol and no larger than that position. Such orders are never refused by a limit (a trader
 * must always be able to exit), only by validation.
 */
export function isReducing(order: Pick<OrderRequest, 'symbol' | 'side' | 'qty'>, positions: readonly Position[]): boolean {
  const p = positions.find((x) => x.symbol === order.symbol);
  if (!p) return false;
  const closes = p.side === 'long' ? order.side === 'sell' : order.side === 'buy';
  return closes && order.qty <= p.qty + 1e-12;
}

const NO_SYMBOLS: ReadonlySet<string> = new Set();

/** A refusal (a function of the module: no closure per check). */
const fail = (code: RiskCode, message: string): RiskVerdict => ({ ok: false, code, message });


const signed = (side: 'long' | 'short' | 'buy' | 'sell', v: number) => (side === 'long' || side === 'buy' ? v : -v);

/** Gross and net notional of the open positions and the working orders that would add to them. */
export function exposure(ctx: Pick<AccountRiskContext, 'openPositions' | 'workingOrders'>, priceOf: (o: Order) => number | undefined, pointValue: (symbol: string) => number) {
  let gross = 0;
  let net = 0;
  for (const p of ctx.openPositions) {
    const n = p.qty * p.markPrice * pointValue(p.symbol);
    gross += n;
    net += signed(p.side, n);
  }
  for (const o of ctx.workingOrders) {
    if (o.purpose !== 'entry') continue; // stops, targets and exits only reduce
    const price = priceOf(o);
    if (price === undefined) continue;
    const n = remainingQty(o) * price * pointValue(o.symbol);
    gross += n;
    net += signed(o.side, n);
  }
  return { gross, net };
}

/**
 * The account-wide checks every order passes, whatever its source. Hand-written: they are the
 * kernel's own rules over its own state, which no library models.
 */
export class AccountRisk {
  private readonly recent: number[] = [];
  private readonly counts = new Map<RiskCode, number>();
  private readonly bySource = new Map<OrderSource, number>();

  constructor(
    readonly limits: AccountRiskLimits,
    private readonly pointValue: (symbol: string) => number,
  ) {}

  /** Checks one order; a refusal names its code. `reducing` orders pass every limit. */
  check(order: OrderRequest, ctx: AccountRiskContext, reducing: boolean): RiskVerdict {
    if (reducing) return { ok: true };
    const l = this.limits;
    if (ctx.killSwitch) return fail('kill_switch', `trading halted: ${ctx.killSwitch}`);
    if (l.allowedInstruments.length > 0 && !l.allowedInstruments.includes(order.symbol)) {
      return fail('instrument_not_allowed', `${order.symbol} is not in risk.allowedInstruments (${l.allowedInstruments.join(', ')})`);
    }
    if (l.maxOrdersPerMinute !== null) {
      const n = this.ordersInLastMinute(ctx.now);
      if (n >= l.maxOrdersPerMinute) return fail('order_rate', `${n} orders in the last minute (limit ${l.maxOrdersPerMinute} a minute)`);
    }
    const a = ctx.account;
    if (l.dailyLossLimitPct !== null && a.dayStartEquity > 0) {
      const pct = (-a.dayPnl / a.dayStartEquity) * 100;
      if (pct >= l.dailyLossLimitPct) return fail('daily_loss_limit', `day loss ${a.dayPnl.toFixed(2)} is ${pct.toFixed(2)}% of the day's starting equity (limit ${l.dailyLossLimitPct}%)`);
    }
    const botLimitR = ctx.bot?.dailyLossLimitR;
    if (botLimitR != null && ctx.bot?.riskPerTrade) {
      const r = dailyR(a, ctx.bot.riskPerTrade);
      if (r <= -botLimitR) return fail('bot_daily_loss_limit', `daily loss limit: ${r.toFixed(2)}R today (limit -${botLimitR}R)`);
    }
    // Nothing held and nothing working (the usual entry): no position counts to build.
    const flat = ctx.openPositions.length === 0 && ctx.workingOrders.length === 0;
    const held = flat ? NO_SYMBOLS : new Set(ctx.openPositions.map((p) => p.symbol));
    const newSymbol = !held.has(order.symbol);
    if (flat) {
      if (0 >= l.maxOpenPositionsPerAccount) return fail('max_positions_account', `the account holds 0 positions and working entries (limit ${l.maxOpenPositionsPerAccount})`);
      const botMax = ctx.bot?.maxOpenPositions;
      if (botMax !== undefined && 0 >= botMax) return fail('max_positions_bot', `bot ${order.botId} holds 0 positions and working entries (limit ${botMax})`);
    } else if (newSymbol) {
      const working = new Set(ctx.workingOrders.filter((o) => o.purpose === 'entry' && !held.has(o.symbol)).map((o) => o.symbol));
      const used = held.size + working.size - (working.has(order.symbol) ? 1 : 0);
      if (used >= l.maxOpenPositionsPerAccount) return fail('max_positions_account', `the account holds ${used} positions and working entries (limit ${l.maxOpenPositionsPerAccount})`);
      const botMax = ctx.bot?.maxOpenPositions;
      if (botMax !== undefined) {
        const mine = new Set([
          ...ctx.openPositions.filter((p) => p.botId === order.botId).map((p) => p.symbol),
          ...ctx.workingOrders.filter((o) => o.purpose === 'entry' && o.botId === order.botId && o.symbol !== order.symbol).map((o) => o.symbol),
        ]);
        if (mine.size >= botMax) return fail('max_positions_bot', `bot ${order.botId} holds ${mine.size} positions and working entries (limit ${botMax})`);
      }
    }
    const price = order.type === 'limit' ? Number(order.price) : order.type === 'stop' ? Number(order.stopPrice) : ctx.price;
    if (!(price !== undefined && price > 0 && Number.isFinite(price))) return fail('no_price', `no market price is known for ${order.symbol} yet: the order's exposure cannot be checked`);
    const equity = a.equity;
    const notional = order.qty * price * ctx.instrument.pointValue;
    const priceOfOrder = (o: Order) => (o.type === 'limit' ? (o.price ?? undefined) : o.type === 'stop' ? (o.stopPrice ?? undefined) : o.symbol === order.symbol ? price : ctx.priceOf?.(o.symbol));
    const { gross, net } = exposure(ctx, priceOfOrder, this.pointValue);
    const grossAfter = gross + notional;
    if (!(equity > 0) || grossAfter > equity * l.maxGrossLeverage * (1 + 1e-9)) {
      return fail('gross_exposure', `gross exposure ${grossAfter.toFixed(2)} would be ${(grossAfter / equity).toFixed(2)}x equity ${equity.toFixed(2)} (limit ${l.maxGrossLeverage}x)`);
    }
    const netAfter = net + signed(order.side, notional);
    if (Math.abs(netAfter) > equity * l.maxNetLeverage * (1 + 1e-9) && Math.abs(netAfter) > Math.abs(net)) {
      return fail('net_exposure', `net exposure ${netAfter.toFixed(2)} would be ${(Math.abs(netAfter) / equity).toFixed(2)}x equity (limit ${l.maxNetLeverage}x)`);
    }
    const marginUsed = gross / a.leverage;
    const needed = notional / a.leverage;
    if (l.marginCheck && marginUsed + needed > equity * (1 + 1e-9)) {
      return fail('margin', `margin ${needed.toFixed(2)} needed, ${Math.max(0, equity - marginUsed).toFixed(2)} available (equity ${equity.toFixed(2)}, ${marginUsed.toFixed(2)} in use at ${a.leverage}x)`);
    }
    return { ok: true };
  }

  /** Counts an order that went to the execution engine (for the rate limit). */
  accepted(now: number): void {
    this.recent.push(now);
    this.ordersInLastMinute(now);
  }

  refused(code: RiskCode, source: OrderSource): void {
    this.counts.set(code, (this.counts.get(code) ?? 0) + 1);
    this.bySource.set(source, (this.bySource.get(source) ?? 0) + 1);
  }

  /** Refusals since start, by reason code and by source. */
  refusals(): { total: number; by_code: Record<string, number>; by_source: Record<string, number> } {
    let total = 0;
    for (const n of this.counts.values()) total += n;
    return { total, by_code: Object.fromEntries(this.counts), by_source: Object.fromEntries(this.bySource) };
  }

  private ordersInLastMinute(now: number): number {
    while (this.recent.length > 0 && (this.recent[0] as number) <= now - 60_000) this.recent.shift();
    return this.recent.length;
  }
}

/**
 * The account's day P/L in R, R = day start equity x risk per trade: the figure the daily loss
 * stop acts on and the engine reports as `dailyR`.
 */
export function dailyR(account: Pick<AccountView, 'dayPnl' | 'dayStartEquity'>, riskPerTrade: number): number {
  const unit = account.dayStartEquity * riskPerTrade;
  return unit > 0 ? account.dayPnl / unit : 0;
}
