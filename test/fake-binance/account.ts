// One futures account of the fake venue (one API key): wallet, one-way positions, per-symbol
// leverage and margin type, orders, fills, income, and the margin figures Binance reports.
import { round8 } from './num.js';
import { bracketFor, maxNotionalFor, type SymbolSpec } from './symbols.js';
import type { AlgoOrder, Income, Order, Position, SymbolConfig, UserTrade } from './types.js';

export const MARGIN_ASSET = 'USDT';

export interface PositionFigures {
  symbol: string;
  amt: number;
  entry: number;
  mark: number;
  notional: number;
  unrealized: number;
  leverage: number;
  marginType: SymbolConfig['marginType'];
  initialMargin: number;
  maintMargin: number;
  openOrderInitialMargin: number;
  isolatedWallet: number;
  isolatedMargin: number;
  breakEven: number;
  liquidationPrice: number;
  maxNotional: number;
  bidNotional: number;
  askNotional: number;
  updateTime: number;
}

export interface AccountFigures {
  wallet: number;
  unrealized: number;
  crossWallet: number;
  crossUnrealized: number;
  positionInitialMargin: number;
  openOrderInitialMargin: number;
  maintMargin: number;
  available: number;
  positions: PositionFigures[];
}

export class Account {
  wallet: number;
  walletUpdateTime: number;
  readonly positions = new Map<string, Position>();
  readonly config = new Map<string, SymbolConfig>();
  readonly orders = new Map<number, Order>();
  readonly open = new Map<number, Order>();
  readonly algo = new Map<number, AlgoOrder>();
  readonly trades: UserTrade[] = [];
  readonly income: Income[] = [];
  listenKey: { key: string; expiresAt: number } | undefined;

  constructor(
    readonly id: number,
    readonly apiKey: string,
    readonly secret: string,
    balance: number,
    now: number,
    private readonly defaults: SymbolConfig,
  ) {
    this.wallet = balance;
    this.walletUpdateTime = now;
  }

  symbolConfig(symbol: string): SymbolConfig {
    let c = this.config.get(symbol);
    if (!c) {
      c = { ...this.defaults };
      this.config.set(symbol, c);
    }
    return c;
  }

  position(symbol: string): Position {
    let p = this.positions.get(symbol);
    if (!p) {
      p = { symbol, amt: 0, entry: 0, updateTime: 0 };
      this.positions.set(symbol, p);
    }
    return p;
  }

  openOrders(symbol?: string): Order[] {
    return [...this.open.values()].filter((o) => symbol === undefined || o.symbol === symbol);
  }

  openAlgoOrders(symbol?: string): AlgoOrder[] {
    return [...this.algo.values()].filter((a) => (a.algoStatus === 'NEW' || a.algoStatus === 'TRIGGERING') && (symbol === undefined || a.symbol === symbol));
  }

  /** Initial margin the open orders of a symbol hold (reduce-only orders hold none). */
  openOrderMargin(symbol: string, leverage: number): { margin: number; bid: number; ask: number } {
    let margin = 0;
    let bid = 0;
    let ask = 0;
    for (const o of this.open.values()) {
      if (o.symbol !== symbol) continue;
      const notional = (o.origQty - o.executedQty) * o.price;
      if (o.side === 'BUY') bid += notional;
      else ask += notional;
      if (!o.reduceOnly) margin += notional / leverage;
    }
    return { margin, bid, ask };
  }

  /**
   * Applies a fill of `qty` (signed: + buy, - sell) at `price` to the position; returns the
   * realized profit (one-way mode: a fill against the position closes it first, the rest opens).
   */
  applyToPosition(symbol: string, signedQty: number, price: number, time: number, places: number): number {
    const p = this.position(symbol);
    let realized = 0;
    const round = (v: number) => Math.round(v * 10 ** places) / 10 ** places;
    if (p.amt === 0 || Math.sign(p.amt) === Math.sign(signedQty)) {
      const total = Math.abs(p.amt) + Math.abs(signedQty);
      p.entry = (Math.abs(p.amt) * p.entry + Math.abs(signedQty) * price) / total;
      p.amt = round(p.amt + signedQty);
    } else {
      const closing = Math.min(Math.abs(signedQty), Math.abs(p.amt));
      realized = round8(closing * (price - p.entry) * Math.sign(p.amt));
      const next = round(p.amt + signedQty);
      if (next === 0) p.entry = 0;
      else if (Math.sign(next) !== Math.sign(p.amt)) p.entry = price;
      p.amt = next;
    }
    p.updateTime = time;
    return realized;
  }

  /** Every margin figure at the given mark prices. */
  figures(specs: Map<string, SymbolSpec>, mark: (symbol: string) => number, takerRate: number): AccountFigures {
    const positions: PositionFigures[] = [];
    let unrealized = 0;
    let crossUnrealized = 0;
    let isolatedWallets = 0;
    let positionIM = 0;
    let crossPositionIM = 0;
    let openIM = 0;
    let maint = 0;
    for (const [symbol, s] of specs) {
      const p = this.position(symbol);
      const cfg = this.symbolConfig(symbol);
      const m = mark(symbol);
      const notional = p.amt * m;
      const upnl = round8(p.amt * (m - p.entry));
      const im = Math.abs(notional) / cfg.leverage;
      const b = bracketFor(s, notional);
      const mm = Math.max(0, Math.abs(notional) * b.maintMarginRatio - b.cum);
      const oo = this.openOrderMargin(symbol, cfg.leverage);
      const isolated = cfg.marginType === 'ISOLATED';
      const isoWallet = isolated ? round8((Math.abs(p.amt) * p.entry) / cfg.leverage) : 0;
      unrealized += upnl;
      positionIM += im;
      openIM += oo.margin;
      maint += mm;
      if (isolated) isolatedWallets += isoWallet;
      else {
        crossUnrealized += upnl;
        crossPositionIM += im;
      }
      positions.push({
        symbol, amt: p.amt, entry: p.entry, mark: m, notional, unrealized: upnl, leverage: cfg.leverage,
        marginType: cfg.marginType, initialMargin: im + oo.margin, maintMargin: mm, openOrderInitialMargin: oo.margin,
        isolatedWallet: isoWallet, isolatedMargin: isolated ? round8(isoWallet + upnl) : 0,
        breakEven: p.amt === 0 ? 0 : p.entry * (1 + Math.sign(p.amt) * takerRate),
        liquidationPrice: 0, maxNotional: maxNotionalFor(s, cfg.leverage), bidNotional: oo.bid, askNotional: oo.ask,
        updateTime: p.updateTime,
      });
    }
    const crossWallet = round8(this.wallet - isolatedWallets);
    // Binance's one-way liquidation price with the whole cross wallet (or the isolated wallet) behind the position.
    for (const f of positions) {
      if (f.amt === 0) continue;
      const dir = Math.sign(f.amt);
      const size = Math.abs(f.amt);
      const b = bracketFor(specs.get(f.symbol) as SymbolSpec, f.notional);
      const otherMaint = f.marginType === 'ISOLATED' ? 0 : maint - f.maintMargin;
      const otherUpnl = f.marginType === 'ISOLATED' ? 0 : crossUnrealized - f.unrealized;
      const wb = f.marginType === 'ISOLATED' ? f.isolatedWallet : crossWallet;
      const lp = (wb - otherMaint + otherUpnl + b.cum - dir * size * f.entry) / (size * b.maintMarginRatio - dir * size);
      f.liquidationPrice = lp > 0 && Number.isFinite(lp) ? lp : 0;
    }
    const available = Math.max(0, round8(crossWallet + crossUnrealized - crossPositionIM - openIM));
    return {
      wallet: this.wallet, unrealized: round8(unrealized), crossWallet, crossUnrealized: round8(crossUnrealized),
      positionInitialMargin: positionIM, openOrderInitialMargin: openIM, maintMargin: maint, available, positions,
    };
  }
}
