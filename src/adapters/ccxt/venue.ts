import type { Exchange, Order as CcxtOrder } from 'ccxt';
import { ccxtErrors } from './library.js';
import type { Order } from '../../core/orders.js';
import type { VenueBalance, VenueOrder, VenuePosition, VenueQueries, VenueTrade } from '../../core/venue.js';
import type { ClientIds } from './client-ids.js';
import { toVenueOrder, toVenueTrade } from './convert.js';
import { withRetry, type RetryOptions } from './retry.js';

export interface VenueInstrument {
  market?: string;
  leverage?: number;
  marginType?: 'isolated' | 'cross';
}

export interface CcxtVenueOptions {
  exchange: Exchange;
  /** Kernel symbol -> venue settings. */
  instruments: Readonly<Record<string, VenueInstrument>>;
  currency: string;
  ids: ClientIds;
  retry: RetryOptions;
  /** Spot accounts have no reduce-only orders, positions or leverage. */
  derivatives: boolean;
}

/**
 * One ccxt account seen as the venue port: symbols mapped both ways, every query retried on
 * transient failures (never an order placement: see CcxtBroker), every answer converted to
 * kernel terms. A query that fails throws; it never answers "nothing".
 */
export class CcxtVenue implements VenueQueries {
  private readonly toMarket = new Map<string, string>();
  private readonly toKernel = new Map<string, string>();

  constructor(private readonly o: CcxtVenueOptions) {}

  get exchange(): Exchange {
    return this.o.exchange;
  }

  symbols(): string[] {
    return [...this.toMarket.keys()];
  }

  marketOf(symbol: string): string {
    const m = this.toMarket.get(symbol);
    if (!m) throw new Error(`${symbol} is not traded on this account (accounts[].instruments)`);
    return m;
  }

  private kernelSymbol(market: string | undefined): string {
    return (market && this.toKernel.get(market)) ?? market ?? '';
  }

  private retry<T>(fn: () => Promise<T>): Promise<T> {
    return withRetry(fn, this.o.retry);
  }

  /** Loads markets, maps the configured symbols, sets leverage and margin type, and checks the credentials with a balance query. */
  async connect(): Promise<void> {
    const ex = this.o.exchange;
    await this.retry(() => ex.loadMarkets());
    for (const [symbol, settings] of Object.entries(this.o.instruments)) {
      const candidates = [settings.market, `${symbol}:${symbol.split('/')[1] ?? ''}`, symbol].filter((c): c is string => Boolean(c));
      const market = candidates.find((c) => ex.markets?.[c] !== undefined);
      if (!market) throw new ccxtErrors.BadSymbol(`${symbol}: no market ${candidates.join(' or ')} on ${ex.id}`);
      this.toMarket.set(symbol, market);
      this.toKernel.set(market, symbol);
    }
    for (const [symbol, settings] of Object.entries(this.o.instruments)) {
      const market = this.marketOf(symbol);
      if (settings.marginType && this.o.derivatives) {
        await this.retry(() => ex.setMarginMode(settings.marginType as string, market, { throwMarginModeAlreadySet: false }).catch((e: unknown) => {
          if (e instanceof ccxtErrors.MarginModeAlreadySet) return {};
          throw e;
        }));
      }
      if (settings.leverage && this.o.derivatives) await this.retry(() => ex.setLeverage(settings.leverage as number, market));
    }
    await this.balance();
  }

  /** Reachability and credentials only (markets and a balance query): no setting is changed. */
  async check(): Promise<void> {
    await this.retry(() => this.o.exchange.loadMarkets());
    await this.balance();
  }

  /** Sends an order once. No retry: a transient failure leaves its fate unknown (the caller queries by client id). */
  async place(order: Order): Promise<VenueOrder> {
    const market = this.marketOf(order.symbol);
    const params: Record<string, unknown> = { clientOrderId: this.o.ids.toVenue(order.id) };
    if (this.o.derivatives && order.purpose !== 'entry') params.reduceOnly = true;
    let placed: CcxtOrder;
    if (order.type === 'stop') {
      params.stopLossPrice = order.stopPrice;
      placed = await this.o.exchange.createOrder(market, 'market', order.side, order.qty, undefined, params);
    } else {
      placed = await this.o.exchange.createOrder(market, order.type, order.side, order.qty, order.type === 'limit' ? (order.price ?? undefined) : undefined, params);
    }
    return toVenueOrder(placed, order.symbol, order.type === 'stop');
  }

  /** Cancels by client id; null when the venue no longer has it open (already done). */
  async cancel(order: Order): Promise<VenueOrder | null> {
    const market = this.marketOf(order.symbol);
    const params: Record<string, unknown> = { clientOrderId: this.o.ids.toVenue(order.id), ...(order.type === 'stop' ? { trigger: true } : {}) };
    try {
      const o = await this.retry(() => this.o.exchange.cancelOrder('', market, params));
      return toVenueOrder(o, order.symbol, order.type === 'stop');
    } catch (error) {
      if (error instanceof ccxtErrors.OrderNotFound) return null;
      throw error;
    }
  }

  async orderOf(order: Order): Promise<VenueOrder | null> {
    const market = this.marketOf(order.symbol);
    const conditional = order.type === 'stop';
    const params: Record<string, unknown> = { clientOrderId: this.o.ids.toVenue(order.id), ...(conditional ? { trigger: true } : {}) };
    let found: CcxtOrder;
    try {
      found = await this.retry(() => this.o.exchange.fetchOrder('', market, params));
    } catch (error) {
      if (error instanceof ccxtErrors.OrderNotFound) return null;
      throw error;
    }
    const v = toVenueOrder(found, order.symbol, conditional);
    if (!conditional) return v;
    // A triggered conditional order placed a plain order: its fills and final status are that order's.
    const info = (found.info ?? {}) as Record<string, unknown>;
    const child = info.actualOrderId ? String(info.actualOrderId) : '';
    if (!child || child === '0' || v.status !== 'filled') return v;
    const placed = await this.retry(() => this.o.exchange.fetchOrder(child, market));
    const c = toVenueOrder(placed, order.symbol, false);
    return { ...v, status: c.status, filledQty: c.filledQty, tradesOrderId: child };
  }

  async openOrders(): Promise<VenueOrder[]> {
    const out: VenueOrder[] = [];
    for (const [symbol, market] of this.toMarket) {
      const plain = await this.retry(() => this.o.exchange.fetchOpenOrders(market));
      out.push(...plain.map((o) => toVenueOrder(o, symbol, false)));
      if (this.o.derivatives && this.o.exchange.id.startsWith('binance')) {
        const algo = await this.retry(() => this.o.exchange.fetchOpenOrders(market, undefined, undefined, { trigger: true }));
        out.push(...algo.map((o) => toVenueOrder(o, symbol, true)));
      }
    }
    return out;
  }

  async tradesSince(since: number): Promise<VenueTrade[]> {
    const out: VenueTrade[] = [];
    for (const [symbol, market] of this.toMarket) {
      const trades = await this.retry(() => this.o.exchange.fetchMyTrades(market, since, 1000));
      out.push(...trades.map((t) => toVenueTrade(t, symbol)));
    }
    return out;
  }

  async tradesOfOrder(symbol: string, venueOrderId: string): Promise<VenueTrade[]> {
    const market = this.marketOf(symbol);
    const trades = await this.retry(() => this.o.exchange.fetchMyTrades(market, undefined, 1000, { orderId: venueOrderId }));
    return trades.map((t) => toVenueTrade(t, symbol)).filter((t) => t.venueOrderId === venueOrderId);
  }

  async positions(): Promise<VenuePosition[]> {
    if (!this.o.derivatives) return [];
    const markets = [...this.toMarket.values()];
    const list = await this.retry(() => this.o.exchange.fetchPositions(markets));
    return list
      .filter((p) => p.symbol && this.toKernel.has(p.symbol))
      .map((p) => {
        const qty = Number(p.contracts ?? 0) * Number(p.contractSize ?? 1);
        return { symbol: this.kernelSymbol(p.symbol), signedQty: p.side === 'short' ? -qty : qty, entryPrice: p.entryPrice ?? null };
      });
  }

  async balance(): Promise<VenueBalance> {
    const b = await this.retry(() => this.o.exchange.fetchBalance());
    const c = this.o.currency;
    // The wallet balance (realised), which the journal follows: ccxt's `total` is Binance's
    // margin balance (with unrealised P&L) and skips assets never updated, so read the raw row.
    const info = b.info as unknown;
    const rows = (Array.isArray(info) ? info : ((info as { assets?: unknown[] } | undefined)?.assets ?? [])) as Record<string, unknown>[];
    const row = rows.find((r) => r.asset === c);
    const pick = (...keys: string[]) => keys.map((k) => row?.[k]).find((v) => v !== undefined && v !== null && Number.isFinite(Number(v)));
    const total = row ? Number(pick('walletBalance', 'crossWalletBalance', 'balance') ?? 0) : Number((b.total as unknown as Record<string, number | undefined>)[c] ?? 0);
    const free = row ? Number(pick('availableBalance', 'maxWithdrawAmount') ?? 0) : Number((b.free as unknown as Record<string, number | undefined>)[c] ?? 0);
    return { currency: c, total, free };
  }

  /** Kernel symbol of a venue market (for trades from the user stream). */
  symbolOfMarket(market: string | undefined): string {
    return this.kernelSymbol(market);
  }
}
