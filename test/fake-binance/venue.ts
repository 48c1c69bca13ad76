// The fake venue's engine: accounts, order entry with Binance's checks, matching against the
// replayed price path and a synthetic book around it, fills (positions, realized PnL,
// commissions, trade ids), conditional (algo) orders and their triggers, and the events each
// change produces (user-data events per account, market streams per symbol).
import { randomBytes } from 'node:crypto';
import { Account, type AccountFigures } from './account.js';
import { E } from './errors.js';
import * as ev from './events.js';
import type { MarketState } from './market.js';
import { money, round8, roundTo, toTick } from './num.js';
import { publishMarket, publishTrade } from './publish.js';
import type { AlgoRequest, OrderRequest } from './params.js';
import { maxNotionalFor, type SymbolSpec } from './symbols.js';
import type { AlgoOrder, Order, Side } from './types.js';

export interface VenueOptions {
  makerRate: number;
  takerRate: number;
  /** Which earlier orders make a reused client order id a -4116: open ones (Binance) or all. */
  clientOrderIdScope: 'open' | 'all';
  listenKeyTtlMs: number;
  defaultLeverage: number;
  now: () => number;
}

/** Where the venue's events go (the WebSocket hub). */
export interface Sink {
  wants(stream: string): boolean;
  publish(stream: string, payload: object): void;
  user(account: Account, payload: object): void;
}

const nullSink: Sink = { wants: () => false, publish: () => undefined, user: () => undefined };

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export function randomId(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += ALNUM[(bytes[i] as number) % ALNUM.length];
  return out;
}

const FINAL = new Set(['FILLED', 'CANCELED', 'EXPIRED', 'EXPIRED_IN_MATCH']);

export class Venue {
  readonly markets = new Map<string, MarketState>();
  readonly specs = new Map<string, SymbolSpec>();
  readonly accounts = new Map<string, Account>();
  /** Quantity a resting order can fill per replay tick, per symbol (Infinity = all of it). */
  readonly makerQtyPerTick = new Map<string, number>();
  clockOffset = 0;
  sink: Sink = nullSink;
  private nextOrderId = 1_000_000_001;
  private nextAlgoId = 4_000_001;
  private nextTranId = 900_000_001;
  private nextAccountId = 1;
  private readonly clientIndex = new Map<Account, Map<string, Order>>();
  private readonly algoIndex = new Map<Account, Map<string, AlgoOrder>>();

  constructor(readonly opts: VenueOptions) {}

  now(): number {
    return Math.floor(this.opts.now() + this.clockOffset);
  }

  addMarket(m: MarketState): void {
    this.markets.set(m.symbol, m);
    this.specs.set(m.symbol, m.spec);
  }

  addAccount(apiKey: string, secret: string, balance: number): Account {
    const a = new Account(this.nextAccountId++, apiKey, secret, balance, this.now(), { leverage: this.opts.defaultLeverage, marginType: 'CROSSED' });
    this.accounts.set(apiKey, a);
    this.clientIndex.set(a, new Map());
    this.algoIndex.set(a, new Map());
    return a;
  }

  market(symbol: string | undefined): MarketState {
    if (symbol === undefined || symbol === '') throw E.mandatory('symbol');
    const m = this.markets.get(symbol);
    if (!m) throw E.invalidSymbol();
    return m;
  }

  figures(a: Account): AccountFigures {
    return a.figures(this.specs, (symbol) => (this.markets.get(symbol) as MarketState).last, this.opts.takerRate);
  }

  // ---------------------------------------------------------------- order entry

  newOrder(a: Account, req: OrderRequest): Order {
    const m = this.market(req.symbol);
    const s = m.spec;
    if (req.clientOrderId !== undefined && this.isDuplicate(a, req.clientOrderId)) throw E.duplicatedClientId();
    if (a.openOrders(s.symbol).length >= s.maxNumOrders) throw E.maxOpenOrders();
    const refPrice = req.type === 'LIMIT' ? req.price : req.side === 'BUY' ? m.ask : m.bid;
    const reducible = this.reducible(a, s.symbol, req.side);
    if (req.reduceOnly && reducible <= 0) throw E.reduceOnlyRejected();
    if (!req.reduceOnly && req.quantity * refPrice < s.minNotional) throw E.minNotional(s.text.minNotional);
    if (req.type === 'LIMIT') this.checkPercentPrice(m, req.side, req.price);
    const marketable = req.type === 'MARKET' || (req.side === 'BUY' ? req.price >= m.ask : req.price <= m.bid);
    if (req.timeInForce === 'GTX' && marketable) throw E.gtxRejected();
    if (req.timeInForce === 'FOK') {
      const cap = req.reduceOnly ? Math.min(reducible, req.quantity) : req.quantity;
      if (cap < req.quantity || this.takerCapacity(m, req.side, req.price) < req.quantity - 1e-12) throw E.fokRejected();
    }
    if (!req.reduceOnly) this.checkMargin(a, s, req.side, req.quantity, refPrice);
    const now = this.now();
    const o: Order = {
      orderId: this.nextOrderId++, symbol: s.symbol, clientOrderId: req.clientOrderId ?? randomId(22), side: req.side,
      type: req.type, origType: req.type, timeInForce: req.type === 'MARKET' ? 'GTC' : req.timeInForce,
      origQty: req.quantity, price: req.type === 'LIMIT' ? req.price : 0, stopPrice: 0, reduceOnly: req.reduceOnly,
      closePosition: false, executedQty: 0, cumQuote: 0, status: 'NEW', time: now, updateTime: now,
      goodTillDate: req.goodTillDate, workingType: 'CONTRACT_PRICE', priceProtect: false, priceMatch: req.priceMatch,
      selfTradePreventionMode: req.selfTradePreventionMode,
    };
    this.submit(a, o, m);
    return o;
  }

  /** Books an accepted order: NEW, immediate (taker) fills, then it rests or expires. */
  private submit(a: Account, o: Order, m: MarketState): void {
    a.orders.set(o.orderId, o);
    this.clientIndex.get(a)?.set(o.clientOrderId, o);
    a.open.set(o.orderId, o);
    this.emitOrder(a, o, m, { x: 'NEW' });
    const marketable = o.type === 'MARKET' || (o.side === 'BUY' ? o.price >= m.ask : o.price <= m.bid);
    if (marketable) this.takerMatch(a, o, m);
    if (FINAL.has(o.status)) return;
    if (o.type === 'MARKET' || o.timeInForce === 'IOC' || o.timeInForce === 'FOK') this.finish(a, o, m, 'EXPIRED');
  }

  private takerMatch(a: Account, o: Order, m: MarketState): void {
    for (const [price, available] of m.levels(o.side === 'BUY' ? 'ask' : 'bid')) {
      if (o.type === 'LIMIT' && (o.side === 'BUY' ? price > o.price : price < o.price)) break;
      let take = Math.min(this.remaining(o, m), available);
      if (o.reduceOnly) take = Math.min(take, this.reducible(a, o.symbol, o.side));
      take = roundTo(take, m.spec.quantityPrecision);
      if (take <= 0) break;
      this.fill(a, o, m, price, take, false);
      if (o.status === 'FILLED' || !a.open.has(o.orderId)) break;
    }
  }

  private takerCapacity(m: MarketState, side: Side, limit: number): number {
    let total = 0;
    for (const [price, q] of m.levels(side === 'BUY' ? 'ask' : 'bid')) {
      if (side === 'BUY' ? price > limit : price < limit) break;
      total += q;
    }
    return total;
  }

  private checkPercentPrice(m: MarketState, side: Side, price: number): void {
    const s = m.spec;
    if (side === 'BUY' && price > m.last * s.multiplierUp) throw E.priceAboveMultiplier(toTick(m.last * s.multiplierUp, s.tickSize, 'floor').toFixed(s.pricePrecision));
    if (side === 'SELL' && price < m.last * s.multiplierDown) throw E.priceBelowMultiplier(toTick(m.last * s.multiplierDown, s.tickSize, 'ceil').toFixed(s.pricePrecision));
  }

  private checkMargin(a: Account, s: SymbolSpec, side: Side, qty: number, price: number): void {
    const increasing = qty - Math.min(qty, this.reducible(a, s.symbol, side));
    if (increasing <= 0) return;
    const required = (increasing * price) / a.symbolConfig(s.symbol).leverage;
    if (required > this.figures(a).available + 1e-9) throw E.marginInsufficient();
  }

  /** How much an order on `side` can reduce the current position. */
  reducible(a: Account, symbol: string, side: Side): number {
    const amt = a.position(symbol).amt;
    return side === 'BUY' ? Math.max(0, -amt) : Math.max(0, amt);
  }

  private remaining(o: Order, m: MarketState): number {
    return roundTo(o.origQty - o.executedQty, m.spec.quantityPrecision);
  }

  private isDuplicate(a: Account, clientId: string): boolean {
    const prev = this.clientIndex.get(a)?.get(clientId);
    if (!prev) return false;
    return this.opts.clientOrderIdScope === 'all' || a.open.has(prev.orderId);
  }

  // ---------------------------------------------------------------- fills

  private fill(a: Account, o: Order, m: MarketState, price: number, qty: number, maker: boolean): void {
    const s = m.spec;
    const now = this.now();
    const realized = a.applyToPosition(s.symbol, o.side === 'BUY' ? qty : -qty, price, now, s.quantityPrecision);
    const commission = round8(price * qty * (maker ? this.opts.makerRate : this.opts.takerRate));
    a.wallet = round8(a.wallet + realized - commission);
    a.walletUpdateTime = now;
    o.executedQty = roundTo(o.executedQty + qty, s.quantityPrecision);
    o.cumQuote = round8(o.cumQuote + price * qty);
    o.status = o.executedQty >= o.origQty ? 'FILLED' : 'PARTIALLY_FILLED';
    o.updateTime = now;
    // On the tape the aggressor is the user when taker; the buyer is the maker when the user sells as taker.
    const buyerMaker = maker ? o.side === 'BUY' : o.side === 'SELL';
    const pub = m.trade(price, qty, buyerMaker, now);
    a.trades.push({
      id: pub.id, symbol: s.symbol, orderId: o.orderId, side: o.side, price, qty, quoteQty: round8(price * qty),
      commission, commissionAsset: 'USDT', realizedPnl: realized, maker, time: now,
    });
    if (realized !== 0) this.income(a, s.symbol, 'REALIZED_PNL', realized, now, String(pub.id));
    if (commission !== 0) this.income(a, s.symbol, 'COMMISSION', -commission, now, String(pub.id));
    if (o.status === 'FILLED') a.open.delete(o.orderId);
    this.emitOrder(a, o, m, { x: 'TRADE', lastQty: qty, lastPrice: price, commission, tradeId: pub.id, maker, realized });
    this.sink.user(a, ev.tradeLite(o, s, qty, price, pub.id, maker, now));
    this.emitAccount(a, s.symbol, 'ORDER');
    publishTrade(this.sink, m, pub.id, this.now());
    this.expireStaleReduceOnly(a, m);
    if (o.status === 'FILLED') this.algoChildDone(a, o);
  }

  private income(a: Account, symbol: string, type: 'REALIZED_PNL' | 'COMMISSION', amount: number, time: number, tradeId: string): void {
    a.income.push({ tranId: this.nextTranId++, symbol, incomeType: type, income: amount, asset: 'USDT', time, tradeId, info: type });
  }

  /** Reduce-only orders that can no longer reduce the position expire, as on Binance. */
  private expireStaleReduceOnly(a: Account, m: MarketState): void {
    for (const o of a.openOrders(m.symbol)) {
      if (o.reduceOnly && this.reducible(a, o.symbol, o.side) <= 0) this.finish(a, o, m, 'EXPIRED');
    }
  }

  private finish(a: Account, o: Order, m: MarketState, status: 'CANCELED' | 'EXPIRED'): void {
    o.status = status;
    o.updateTime = this.now();
    a.open.delete(o.orderId);
    this.emitOrder(a, o, m, { x: status });
    this.algoChildDone(a, o);
  }

  // ---------------------------------------------------------------- cancel and query

  findOrder(a: Account, symbol: string, orderId: number | undefined, clientId: string | undefined): Order | undefined {
    if (orderId !== undefined) {
      const o = a.orders.get(orderId);
      return o && o.symbol === symbol ? o : undefined;
    }
    if (clientId === undefined) throw E.eitherParam('orderId', 'origClientOrderId');
    const indexed = this.clientIndex.get(a)?.get(clientId);
    if (indexed && indexed.symbol === symbol) return indexed;
    return [...a.orders.values()].reverse().find((o) => o.symbol === symbol && o.clientOrderId === clientId);
  }

  queryOrder(a: Account, symbol: string, orderId: number | undefined, clientId: string | undefined): Order {
    this.market(symbol);
    const o = this.findOrder(a, symbol, orderId, clientId);
    if (!o) throw E.noSuchOrder();
    return o;
  }

  cancelOrder(a: Account, symbol: string, orderId: number | undefined, clientId: string | undefined): Order {
    const m = this.market(symbol);
    const o = this.findOrder(a, symbol, orderId, clientId);
    if (!o || !a.open.has(o.orderId)) throw E.unknownOrder();
    this.finish(a, o, m, 'CANCELED');
    return o;
  }

  cancelAll(a: Account, symbol: string): void {
    const m = this.market(symbol);
    for (const o of a.openOrders(symbol)) this.finish(a, o, m, 'CANCELED');
  }

  /** Modify a resting LIMIT order (PUT /fapi/v1/order): new price and quantity, same id. */
  modifyOrder(a: Account, o: Order, side: Side, quantity: number, price: number): Order {
    const m = this.market(o.symbol);
    if (!a.open.has(o.orderId)) throw E.unknownOrder();
    if (o.type !== 'LIMIT' || side !== o.side) throw E.invalidParam('side');
    this.checkPercentPrice(m, side, price);
    const marketable = side === 'BUY' ? price >= m.ask : price <= m.bid;
    if (o.timeInForce === 'GTX' && marketable) {
      this.finish(a, o, m, 'EXPIRED');
      return o;
    }
    if (quantity <= o.executedQty) {
      this.finish(a, o, m, 'CANCELED');
      return o;
    }
    o.price = price;
    o.origQty = quantity;
    o.updateTime = this.now();
    this.emitOrder(a, o, m, { x: 'AMENDMENT' });
    if (marketable) this.takerMatch(a, o, m);
    return o;
  }

  // ---------------------------------------------------------------- conditional (algo) orders

  newAlgoOrder(a: Account, req: AlgoRequest): AlgoOrder {
    const m = this.market(req.symbol);
    const s = m.spec;
    const index = this.algoIndex.get(a) as Map<string, AlgoOrder>;
    if (req.clientAlgoId !== undefined) {
      const prev = index.get(req.clientAlgoId);
      if (prev && (this.opts.clientOrderIdScope === 'all' || prev.algoStatus === 'NEW')) throw E.duplicatedClientId();
    }
    if (a.openAlgoOrders(s.symbol).length >= s.maxNumAlgoOrders) throw E.maxOpenOrders();
    if (req.type !== 'TRAILING_STOP_MARKET' && this.triggered(req.type, req.side, req.triggerPrice, m.last)) throw E.wouldTrigger();
    if (req.type === 'TRAILING_STOP_MARKET' && req.activatePrice > 0 && (req.side === 'SELL' ? req.activatePrice <= m.last : req.activatePrice >= m.last)) throw E.wouldTrigger();
    const ref = req.price || req.triggerPrice || m.last;
    if (!req.reduceOnly && !req.closePosition && req.quantity * ref < s.minNotional) throw E.minNotional(s.text.minNotional);
    const now = this.now();
    const algo: AlgoOrder = {
      algoId: this.nextAlgoId++, clientAlgoId: req.clientAlgoId ?? randomId(22), symbol: s.symbol, side: req.side,
      orderType: req.type, timeInForce: req.timeInForce, quantity: req.quantity, price: req.price, triggerPrice: req.triggerPrice,
      algoStatus: 'NEW', closePosition: req.closePosition, reduceOnly: req.reduceOnly, priceProtect: req.priceProtect,
      workingType: req.workingType, priceMatch: req.priceMatch, selfTradePreventionMode: req.selfTradePreventionMode,
      activatePrice: req.activatePrice, callbackRate: req.callbackRate, createTime: now, updateTime: now, triggerTime: 0,
      goodTillDate: req.goodTillDate, rejectReason: '',
    };
    a.algo.set(algo.algoId, algo);
    index.set(algo.clientAlgoId, algo);
    this.sink.user(a, ev.algoUpdate(algo, s, now));
    return algo;
  }

  findAlgo(a: Account, algoId: number | undefined, clientAlgoId: string | undefined): AlgoOrder | undefined {
    if (algoId !== undefined) return a.algo.get(algoId);
    if (clientAlgoId === undefined) throw E.eitherParam('algoId', 'clientAlgoId');
    return this.algoIndex.get(a)?.get(clientAlgoId);
  }

  cancelAlgo(a: Account, algoId: number | undefined, clientAlgoId: string | undefined): AlgoOrder {
    const algo = this.findAlgo(a, algoId, clientAlgoId);
    if (!algo || algo.algoStatus !== 'NEW') throw E.unknownOrder();
    this.setAlgoStatus(a, algo, 'CANCELED');
    return algo;
  }

  cancelAllAlgo(a: Account, symbol: string): void {
    this.market(symbol);
    for (const algo of a.openAlgoOrders(symbol)) this.setAlgoStatus(a, algo, 'CANCELED');
  }

  actualOrder(a: Account, algo: AlgoOrder): Order | undefined {
    return algo.actualOrderId === undefined ? undefined : a.orders.get(algo.actualOrderId);
  }

  private setAlgoStatus(a: Account, algo: AlgoOrder, status: AlgoOrder['algoStatus'], reason = ''): void {
    const now = this.now();
    algo.algoStatus = status;
    algo.updateTime = now;
    algo.rejectReason = reason;
    this.sink.user(a, ev.algoUpdate(algo, this.specs.get(algo.symbol) as SymbolSpec, now, this.actualOrder(a, algo)));
  }

  private triggered(type: string, side: Side, trigger: number, price: number): boolean {
    const stop = type === 'STOP' || type === 'STOP_MARKET';
    if (stop) return side === 'BUY' ? price >= trigger : price <= trigger;
    return side === 'BUY' ? price <= trigger : price >= trigger;
  }

  private trailingTriggered(algo: AlgoOrder, price: number): boolean {
    const sell = algo.side === 'SELL';
    if (algo.trailExtreme === undefined) {
      const active = algo.activatePrice === 0 || (sell ? price >= algo.activatePrice : price <= algo.activatePrice);
      if (!active) return false;
      algo.trailExtreme = price;
    }
    algo.trailExtreme = sell ? Math.max(algo.trailExtreme, price) : Math.min(algo.trailExtreme, price);
    const rate = algo.callbackRate / 100;
    return sell ? price <= algo.trailExtreme * (1 - rate) : price >= algo.trailExtreme * (1 + rate);
  }

  private trigger(a: Account, algo: AlgoOrder, m: MarketState): void {
    const s = m.spec;
    const now = this.now();
    algo.triggerTime = now;
    const reduce = algo.reduceOnly || algo.closePosition;
    let qty = algo.closePosition ? this.reducible(a, s.symbol, algo.side) : algo.quantity;
    if (reduce) {
      qty = Math.min(qty, this.reducible(a, s.symbol, algo.side));
      if (qty <= 0) return this.setAlgoStatus(a, algo, 'EXPIRED', 'Reduce Only reject');
    }
    const limit = algo.orderType === 'STOP' || algo.orderType === 'TAKE_PROFIT';
    const refPrice = limit ? algo.price : algo.side === 'BUY' ? m.ask : m.bid;
    if (!reduce) {
      try {
        this.checkMargin(a, s, algo.side, qty, refPrice);
      } catch {
        return this.setAlgoStatus(a, algo, 'REJECTED', 'Margin is insufficient.');
      }
    }
    const o: Order = {
      orderId: this.nextOrderId++, symbol: s.symbol, clientOrderId: algo.clientAlgoId, side: algo.side,
      type: limit ? 'LIMIT' : 'MARKET', origType: algo.orderType, timeInForce: limit ? algo.timeInForce : 'GTC',
      origQty: qty, price: limit ? algo.price : 0, stopPrice: algo.triggerPrice, reduceOnly: reduce,
      closePosition: algo.closePosition, executedQty: 0, cumQuote: 0, status: 'NEW', time: now, updateTime: now,
      goodTillDate: algo.goodTillDate, workingType: algo.workingType, priceProtect: algo.priceProtect,
      priceMatch: algo.priceMatch, selfTradePreventionMode: algo.selfTradePreventionMode, algoId: algo.algoId,
    };
    algo.actualOrderId = o.orderId;
    this.setAlgoStatus(a, algo, 'TRIGGERED');
    this.submit(a, o, m);
  }

  /** The order a conditional order placed is done: the conditional order is FINISHED. */
  private algoChildDone(a: Account, o: Order): void {
    if (o.algoId === undefined || !FINAL.has(o.status)) return;
    const algo = a.algo.get(o.algoId);
    if (algo && algo.algoStatus === 'TRIGGERED') this.setAlgoStatus(a, algo, 'FINISHED');
  }

  // ---------------------------------------------------------------- leverage and margin type

  setLeverage(a: Account, symbol: string, leverage: number): { leverage: number; maxNotionalValue: string; symbol: string } {
    const m = this.market(symbol);
    const max = m.spec.brackets[0]?.initialLeverage ?? 125;
    if (!Number.isInteger(leverage) || leverage < 1 || leverage > max) throw E.invalidLeverage(String(leverage));
    const cap = maxNotionalFor(m.spec, leverage);
    if (Math.abs(a.position(symbol).amt * m.last) > cap) throw E.exceededMaxPosition();
    a.symbolConfig(symbol).leverage = leverage;
    this.sink.user(a, ev.accountConfigUpdate(symbol, leverage, this.now()));
    return { leverage, maxNotionalValue: String(cap), symbol };
  }

  setMarginType(a: Account, symbol: string, marginType: string): { code: number; msg: string } {
    this.market(symbol);
    if (marginType !== 'ISOLATED' && marginType !== 'CROSSED') throw E.invalidParam('marginType');
    const cfg = a.symbolConfig(symbol);
    if (cfg.marginType === marginType) throw E.noNeedMarginType();
    if (a.openOrders(symbol).length > 0 || a.openAlgoOrders(symbol).length > 0) throw E.marginTypeOpenOrders();
    if (a.position(symbol).amt !== 0) throw E.marginTypePosition();
    cfg.marginType = marginType;
    return { code: 200, msg: 'success' };
  }

  // ---------------------------------------------------------------- the price path

  /** Advances every market's replay by `n` ticks; returns the ticks applied. */
  step(n = 1): number {
    let applied = 0;
    for (let i = 0; i < n; i++) {
      for (const m of this.markets.values()) {
        const t = m.nextTick();
        if (!t) continue;
        this.applyTick(m, t.price, t.qty, t.buyerMaker);
        applied++;
      }
    }
    return applied;
  }

  /** A market trade at `price`: the book moves, conditional orders trigger, resting orders fill. */
  applyTick(m: MarketState, price: number, qty: number, buyerMaker: boolean): void {
    const now = this.now();
    m.move(price, qty);
    const pub = m.trade(price, qty, buyerMaker, now);
    publishMarket(this.sink, m, pub.id, now);
    for (const a of this.accounts.values()) {
      for (const o of a.openOrders(m.symbol)) {
        if (o.timeInForce === 'GTD' && o.goodTillDate > 0 && now >= o.goodTillDate) this.finish(a, o, m, 'EXPIRED');
      }
      // Orders that a trigger places on this tick do not trade against the tick that triggered them.
      const resting = a.openOrders(m.symbol);
      for (const algo of a.openAlgoOrders(m.symbol)) {
        const fire = algo.orderType === 'TRAILING_STOP_MARKET' ? this.trailingTriggered(algo, price) : this.triggered(algo.orderType, algo.side, algo.triggerPrice, price);
        if (fire) this.trigger(a, algo, m);
      }
      const cap = this.makerQtyPerTick.get(m.symbol) ?? Infinity;
      for (const o of resting) {
        if (o.type !== 'LIMIT' || !a.open.has(o.orderId)) continue;
        if (o.side === 'BUY' ? price > o.price : price < o.price) continue;
        let take = Math.min(this.remaining(o, m), cap);
        if (o.reduceOnly) take = Math.min(take, this.reducible(a, o.symbol, o.side));
        take = roundTo(take, m.spec.quantityPrecision);
        if (take > 0) this.fill(a, o, m, o.price, take, true);
      }
    }
  }

  // ---------------------------------------------------------------- events

  private emitOrder(a: Account, o: Order, m: MarketState, ex: ev.Execution): void {
    const oo = a.openOrderMargin(o.symbol, a.symbolConfig(o.symbol).leverage);
    this.sink.user(a, ev.orderTradeUpdate(o, m.spec, ex, this.now(), oo.bid, oo.ask));
  }

  private emitAccount(a: Account, symbol: string, reason: string): void {
    const f = this.figures(a);
    this.sink.user(a, ev.accountUpdate(reason, f.wallet, f.crossWallet, 0, f.positions.filter((p) => p.symbol === symbol), this.specs, this.now()));
  }

  /** A snapshot of one account for tests: open orders, positions, wallet. */
  snapshot(a: Account): { wallet: string; positions: { symbol: string; amt: number; entry: number }[]; openOrders: Order[]; openAlgoOrders: AlgoOrder[]; orders: Order[]; trades: number } {
    return {
      wallet: money(a.wallet),
      positions: [...a.positions.values()].filter((p) => p.amt !== 0).map((p) => ({ symbol: p.symbol, amt: p.amt, entry: p.entry })),
      openOrders: a.openOrders().map((o) => ({ ...o })),
      openAlgoOrders: a.openAlgoOrders().map((x) => ({ ...x })),
      orders: [...a.orders.values()].map((o) => ({ ...o })),
      trades: a.trades.length,
    };
  }
}
