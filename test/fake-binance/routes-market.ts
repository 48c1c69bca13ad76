// Public market data: ping, time, exchangeInfo, depth, trades, klines, tickers, premium index.
import { E } from './errors.js';
import { px, qty } from './format.js';
import type { MarketState } from './market.js';
import { fixed } from './num.js';
import { optInt } from './params.js';
import { bySymbol, type Ctx, type Route } from './route.js';
import { exchangeInfo } from './symbols.js';

const DEPTH_LIMITS = [5, 10, 20, 50, 100, 500, 1000];

function markets(ctx: Ctx): MarketState[] {
  return ctx.params.symbol ? [ctx.venue.market(ctx.params.symbol)] : [...ctx.venue.markets.values()];
}

/** One object for `symbol=`, the array of all symbols without it (as Binance answers). */
function oneOrAll<T>(ctx: Ctx, f: (m: MarketState) => T): T | T[] {
  const list = markets(ctx).map(f);
  return ctx.params.symbol ? (list[0] as T) : list;
}

function klineRows(ctx: Ctx): unknown[] {
  const p = ctx.params;
  const m = ctx.venue.market(p.symbol);
  const interval = p.interval;
  if (!interval) throw E.mandatory('interval');
  const s = m.spec;
  return m.klines(interval, { startTime: optInt(p, 'startTime'), endTime: optInt(p, 'endTime'), limit: optInt(p, 'limit') }).map((k) => [
    k.openTime, px(s, k.open), px(s, k.high), px(s, k.low), px(s, k.close), qty(s, k.volume), k.closeTime,
    fixed(k.quoteVolume, 4), k.trades, qty(s, k.takerBuyVolume), fixed(k.takerBuyQuote, 4), '0',
  ]);
}

const klineWeight = (p: Record<string, string>) => {
  const limit = Number(p.limit ?? 500);
  return limit < 100 ? 1 : limit < 500 ? 2 : limit <= 1000 ? 5 : 10;
};

function premium(ctx: Ctx, m: MarketState): unknown {
  const mark = fixed(m.last, m.spec.pricePrecision + 6);
  return {
    symbol: m.symbol, markPrice: mark, indexPrice: mark, estimatedSettlePrice: mark, lastFundingRate: '0.00010000',
    interestRate: '0.00010000', nextFundingTime: Math.ceil(ctx.now / 28_800_000) * 28_800_000, time: ctx.now,
  };
}

export const marketRoutes: Route[] = [
  { method: 'GET', path: '/fapi/v1/ping', security: 'NONE', weight: 1, handle: () => ({}) },
  { method: 'GET', path: '/fapi/v1/time', security: 'NONE', weight: 1, handle: (ctx) => ({ serverTime: ctx.now }) },
  { method: 'GET', path: '/fapi/v1/exchangeInfo', security: 'NONE', weight: 1, handle: (ctx) => exchangeInfo([...ctx.venue.specs.values()], ctx.now) },
  {
    method: 'GET', path: '/fapi/v1/depth', security: 'NONE',
    weight: (p) => { const l = Number(p.limit ?? 500); return l <= 50 ? 2 : l <= 100 ? 5 : l <= 500 ? 10 : 20; },
    handle: (ctx) => {
      const m = ctx.venue.market(ctx.params.symbol);
      const limit = optInt(ctx.params, 'limit') ?? 500;
      if (!DEPTH_LIMITS.includes(limit)) throw E.invalidParam('limit');
      // The synthetic book has `depthLevels` levels per side; a larger limit shows them all.
      const side = (sd: 'bid' | 'ask') => m.levels(sd, Math.min(limit, m.options.depthLevels)).map(([p, q]) => [px(m.spec, p), qty(m.spec, q)]);
      return { lastUpdateId: m.bookUpdateId, E: ctx.now, T: ctx.now, bids: side('bid'), asks: side('ask') };
    },
  },
  {
    method: 'GET', path: '/fapi/v1/trades', security: 'NONE', weight: 5,
    handle: (ctx) => {
      const m = ctx.venue.market(ctx.params.symbol);
      const limit = Math.min(optInt(ctx.params, 'limit') ?? 500, 1000);
      return m.trades.slice(-limit).map((t) => ({ id: t.id, price: px(m.spec, t.price), qty: qty(m.spec, t.qty), quoteQty: fixed(t.price * t.qty, m.spec.pricePrecision + 3), time: t.time, isBuyerMaker: t.buyerMaker }));
    },
  },
  {
    method: 'GET', path: '/fapi/v1/aggTrades', security: 'NONE', weight: 20,
    handle: (ctx) => {
      const p = ctx.params;
      const m = ctx.venue.market(p.symbol);
      const limit = Math.min(optInt(p, 'limit') ?? 500, 1000);
      const fromId = optInt(p, 'fromId');
      const start = optInt(p, 'startTime');
      const end = optInt(p, 'endTime');
      const list = m.trades.filter((t) => (fromId === undefined || t.aggId >= fromId) && (start === undefined || t.time >= start) && (end === undefined || t.time <= end));
      const chosen = fromId !== undefined || start !== undefined ? list.slice(0, limit) : list.slice(-limit);
      return chosen.map((t) => ({ a: t.aggId, p: px(m.spec, t.price), q: qty(m.spec, t.qty), f: t.id, l: t.id, T: t.time, m: t.buyerMaker }));
    },
  },
  { method: 'GET', path: '/fapi/v1/klines', security: 'NONE', weight: klineWeight, handle: klineRows },
  { method: 'GET', path: '/fapi/v1/markPriceKlines', security: 'NONE', weight: klineWeight, handle: klineRows },
  { method: 'GET', path: '/fapi/v1/indexPriceKlines', security: 'NONE', weight: klineWeight, handle: klineRows },
  {
    method: 'GET', path: '/fapi/v1/ticker/24hr', security: 'NONE', weight: bySymbol(1, 40),
    handle: (ctx) => oneOrAll(ctx, (m) => {
      const st = m.stats(ctx.now);
      const s = m.spec;
      const change = m.last - st.open;
      return {
        symbol: m.symbol, priceChange: px(s, change), priceChangePercent: fixed(st.open ? (change / st.open) * 100 : 0, 3),
        weightedAvgPrice: px(s, st.volume ? st.quoteVolume / st.volume : m.last), lastPrice: px(s, m.last), lastQty: qty(s, m.lastQty),
        openPrice: px(s, st.open), highPrice: px(s, st.high), lowPrice: px(s, st.low), volume: qty(s, st.volume),
        quoteVolume: fixed(st.quoteVolume, 2), openTime: st.openTime, closeTime: ctx.now, firstId: st.firstId, lastId: st.lastId, count: st.count,
      };
    }),
  },
  {
    method: 'GET', path: '/fapi/v1/ticker/price', security: 'NONE', weight: bySymbol(1, 2),
    handle: (ctx) => oneOrAll(ctx, (m) => ({ symbol: m.symbol, price: px(m.spec, m.last), time: ctx.now })),
  },
  {
    method: 'GET', path: '/fapi/v2/ticker/price', security: 'NONE', weight: bySymbol(1, 2),
    handle: (ctx) => oneOrAll(ctx, (m) => ({ symbol: m.symbol, price: px(m.spec, m.last), time: ctx.now })),
  },
  {
    method: 'GET', path: '/fapi/v1/ticker/bookTicker', security: 'NONE', weight: bySymbol(2, 5),
    handle: (ctx) => oneOrAll(ctx, (m) => ({
      symbol: m.symbol, bidPrice: px(m.spec, m.bid), bidQty: qty(m.spec, m.levelQty(0, 'bid')),
      askPrice: px(m.spec, m.ask), askQty: qty(m.spec, m.levelQty(0, 'ask')), time: ctx.now, lastUpdateId: m.bookUpdateId,
    })),
  },
  { method: 'GET', path: '/fapi/v1/premiumIndex', security: 'NONE', weight: bySymbol(1, 10), handle: (ctx) => oneOrAll(ctx, (m) => premium(ctx, m)) },
  { method: 'GET', path: '/fapi/v1/fundingRate', security: 'NONE', weight: 1, handle: () => [] },
];
