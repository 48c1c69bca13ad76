// WebSocket payloads: market streams and user-data events, with Binance's field letters.
import type { PositionFigures } from './account.js';
import type { Kline, MarketState, PublicTrade } from './market.js';
import { fixed, money } from './num.js';
import { px, qty } from './format.js';
import type { SymbolSpec } from './symbols.js';
import type { AlgoOrder, Order } from './types.js';

export interface Execution {
  /** Execution type: NEW, TRADE, CANCELED, EXPIRED, AMENDMENT. */
  x: string;
  lastQty?: number;
  lastPrice?: number;
  commission?: number;
  tradeId?: number;
  maker?: boolean;
  realized?: number;
}

export function orderTradeUpdate(o: Order, s: SymbolSpec, ex: Execution, time: number, bid: number, ask: number): object {
  const avgPrice = o.executedQty > 0 ? o.cumQuote / o.executedQty : 0;
  const body: Record<string, unknown> = {
    s: o.symbol, c: o.clientOrderId, S: o.side, o: o.type, f: o.timeInForce,
    q: qty(s, o.origQty), p: px(s, o.price), ap: fixed(avgPrice, s.pricePrecision + 5), sp: px(s, o.stopPrice),
    x: ex.x, X: o.status, i: o.orderId,
    l: qty(s, ex.lastQty ?? 0), z: qty(s, o.executedQty), L: px(s, ex.lastPrice ?? 0),
    T: time, t: ex.tradeId ?? 0, b: money(bid), a: money(ask), m: ex.maker ?? false, R: o.reduceOnly,
    wt: o.workingType, ot: o.origType, ps: 'BOTH', cp: o.closePosition, rp: money(ex.realized ?? 0),
    pP: o.priceProtect, si: 0, ss: 0, V: o.selfTradePreventionMode, pm: o.priceMatch, gtd: o.goodTillDate,
  };
  if (ex.commission !== undefined) {
    body.N = 'USDT';
    body.n = money(ex.commission);
  }
  return { e: 'ORDER_TRADE_UPDATE', T: time, E: time, o: body };
}

export function tradeLite(o: Order, s: SymbolSpec, lastQty: number, lastPrice: number, tradeId: number, maker: boolean, time: number): object {
  return {
    e: 'TRADE_LITE', E: time, T: time, s: o.symbol, q: qty(s, o.origQty), p: px(s, o.price), m: maker,
    c: o.clientOrderId, S: o.side, L: px(s, lastPrice), l: qty(s, lastQty), t: tradeId, i: o.orderId,
  };
}

export function accountUpdate(reason: string, wallet: number, crossWallet: number, balanceChange: number, positions: PositionFigures[], specs: Map<string, SymbolSpec>, time: number): object {
  return {
    e: 'ACCOUNT_UPDATE', E: time, T: time,
    a: {
      m: reason,
      B: [{ a: 'USDT', wb: money(wallet), cw: money(crossWallet), bc: money(balanceChange) }],
      P: positions.map((p) => {
        const s = specs.get(p.symbol) as SymbolSpec;
        return {
          s: p.symbol, pa: qty(s, p.amt), ep: fixed(p.entry, s.pricePrecision + 5), bep: fixed(p.breakEven, s.pricePrecision + 5),
          cr: '0', up: money(p.unrealized), mt: p.marginType === 'ISOLATED' ? 'isolated' : 'cross',
          iw: money(p.isolatedWallet), ps: 'BOTH',
        };
      }),
    },
  };
}

export function algoUpdate(a: AlgoOrder, s: SymbolSpec, time: number, actual?: Order): object {
  return {
    e: 'ALGO_UPDATE', T: time, E: time,
    o: {
      caid: a.clientAlgoId, aid: a.algoId, at: 'CONDITIONAL', o: a.orderType, s: a.symbol, S: a.side, ps: 'BOTH',
      f: a.timeInForce, q: qty(s, a.quantity), X: a.algoStatus, ai: actual ? String(actual.orderId) : '',
      ap: fixed(actual && actual.executedQty > 0 ? actual.cumQuote / actual.executedQty : 0, s.pricePrecision + 3),
      aq: qty(s, actual?.executedQty ?? 0), act: actual ? actual.type : '0', tp: px(s, a.triggerPrice), p: px(s, a.price),
      V: a.selfTradePreventionMode, wt: a.workingType, pm: a.priceMatch, cp: a.closePosition, pP: a.priceProtect,
      R: a.reduceOnly, tt: a.triggerTime, gtd: a.goodTillDate, rm: a.rejectReason,
    },
  };
}

export function accountConfigUpdate(symbol: string, leverage: number, time: number): object {
  return { e: 'ACCOUNT_CONFIG_UPDATE', E: time, T: time, ac: { s: symbol, l: leverage } };
}

export function listenKeyExpired(key: string, time: number): object {
  return { e: 'listenKeyExpired', E: time, listenKey: key };
}

// ---- market streams ----

export function tradeEvent(m: MarketState, t: PublicTrade, eventTime: number): object {
  return { e: 'trade', E: eventTime, T: t.time, s: m.symbol, t: t.id, p: px(m.spec, t.price), q: qty(m.spec, t.qty), X: 'MARKET', m: t.buyerMaker };
}

export function aggTradeEvent(m: MarketState, t: PublicTrade, eventTime: number): object {
  return {
    e: 'aggTrade', E: eventTime, s: m.symbol, a: t.aggId, p: px(m.spec, t.price), q: qty(m.spec, t.qty),
    nq: qty(m.spec, t.qty), f: t.id, l: t.id, T: t.time, m: t.buyerMaker,
  };
}

export function klineEvent(m: MarketState, interval: string, k: Kline, eventTime: number, closed: boolean): object {
  const s = m.spec;
  return {
    e: 'kline', E: eventTime, s: m.symbol,
    k: {
      t: k.openTime, T: k.closeTime, s: m.symbol, i: interval, f: k.firstTradeId, L: k.lastTradeId,
      o: px(s, k.open), c: px(s, k.close), h: px(s, k.high), l: px(s, k.low), v: qty(s, k.volume), n: k.trades, x: closed,
      q: fixed(k.quoteVolume, 4), V: qty(s, k.takerBuyVolume), Q: fixed(k.takerBuyQuote, 4), B: '0',
    },
  };
}

export function bookTickerEvent(m: MarketState, eventTime: number): object {
  return {
    e: 'bookTicker', u: m.bookUpdateId, E: eventTime, T: eventTime, s: m.symbol,
    b: px(m.spec, m.bid), B: qty(m.spec, m.levelQty(0, 'bid')), a: px(m.spec, m.ask), A: qty(m.spec, m.levelQty(0, 'ask')),
  };
}

export function tickerEvent(m: MarketState, eventTime: number): object {
  const st = m.stats(eventTime);
  const s = m.spec;
  const change = m.last - st.open;
  return {
    e: '24hrTicker', E: eventTime, s: m.symbol, p: px(s, change), P: fixed(st.open ? (change / st.open) * 100 : 0, 3),
    w: px(s, st.volume ? st.quoteVolume / st.volume : m.last), c: px(s, m.last), Q: qty(s, m.lastQty), o: px(s, st.open),
    h: px(s, st.high), l: px(s, st.low), v: qty(s, st.volume), q: fixed(st.quoteVolume, 2), O: st.openTime, C: eventTime,
    F: st.firstId, L: st.lastId, n: st.count,
  };
}

export function miniTickerEvent(m: MarketState, eventTime: number): object {
  const st = m.stats(eventTime);
  const s = m.spec;
  return { e: '24hrMiniTicker', E: eventTime, s: m.symbol, c: px(s, m.last), o: px(s, st.open), h: px(s, st.high), l: px(s, st.low), v: qty(s, st.volume), q: fixed(st.quoteVolume, 2) };
}

export function markPriceEvent(m: MarketState, eventTime: number, nextFunding: number): object {
  const mark = fixed(m.last, m.spec.pricePrecision + 6);
  return { e: 'markPriceUpdate', E: eventTime, s: m.symbol, p: mark, ap: mark, P: mark, i: mark, r: '0.00010000', T: nextFunding };
}

/** Partial book depth (`@depth5`, `@depth10`, `@depth20`): the top levels after this move. */
export function depthEvent(m: MarketState, levels: number, eventTime: number): object {
  const lv = (side: 'bid' | 'ask') => m.levels(side, levels).map(([p, q]) => [px(m.spec, p), qty(m.spec, q)]);
  return { e: 'depthUpdate', E: eventTime, T: eventTime, s: m.symbol, U: m.bookUpdateId, u: m.bookUpdateId, pu: m.bookUpdateId - 1, b: lv('bid'), a: lv('ask') };
}

/**
 * Diff book depth (`@depth`): the synthetic book is its top `depthLevels` levels per side (the
 * REST snapshot shows no more), so each move sends every level of the new book plus quantity 0
 * for the levels of the previous book that left it; a client keeping a local book (snapshot +
 * diffs, checking `pu`) holds exactly the venue's book and never a crossed one.
 */
export function depthDiffEvent(m: MarketState, eventTime: number): object {
  const s = m.spec;
  const n = m.options.depthLevels;
  const side = (sd: 'bid' | 'ask'): [string, string][] => {
    const now = m.levels(sd, n).map(([p, q]) => [px(s, p), qty(s, q)] as [string, string]);
    const shown = new Set(now.map(([p]) => p));
    const dir = sd === 'bid' ? -1 : 1;
    const prevBest = sd === 'bid' ? m.prevLast : m.prevLast + s.tickSize;
    for (let k = 0; k < n; k++) {
      const p = px(s, prevBest + dir * k * s.tickSize);
      if (!shown.has(p)) now.push([p, qty(s, 0)]);
    }
    return now;
  };
  return { e: 'depthUpdate', E: eventTime, T: eventTime, s: m.symbol, U: m.bookUpdateId, u: m.bookUpdateId, pu: m.bookUpdateId - 1, b: side('bid'), a: side('ask') };
}
