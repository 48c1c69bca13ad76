// Trade routes: orders (new, query, cancel, modify, batch), open and all orders, user trades,
// and conditional (algo) orders.
import { BinanceError, E } from './errors.js';
import * as f from './format.js';
import { checkClientId, checkPrice, checkQty, need, optInt, readAlgoOrder, readOrder, side, type Params } from './params.js';
import type { Ctx, Route } from './route.js';
import { bySymbol } from './route.js';
import type { Order } from './types.js';

function ids(p: Params): { orderId: number | undefined; clientId: string | undefined } {
  return { orderId: optInt(p, 'orderId'), clientId: p.origClientOrderId || undefined };
}

function json(ctx: Ctx, o: Order): Record<string, unknown> {
  return f.orderJson(o, ctx.venue.market(o.symbol).spec);
}

function newOrder(ctx: Ctx, p: Params): Record<string, unknown> {
  const m = ctx.venue.market(p.symbol);
  const req = readOrder(p, m.spec);
  const o = ctx.venue.newOrder(ctx.account, req);
  // ACK answers the order as accepted; RESULT as it stands after immediate matching.
  const shown: Order = req.respType === 'ACK' ? { ...o, status: 'NEW', executedQty: 0, cumQuote: 0, updateTime: o.time } : o;
  return f.newOrderJson(shown, m.spec);
}

/** Parses a JSON list parameter (batchOrders, orderIdList, origClientOrderIdList). */
function jsonList(p: Params, names: string[]): unknown[] | undefined {
  const name = names.find((n) => p[n] !== undefined && p[n] !== '');
  if (!name) return undefined;
  try {
    const v: unknown = JSON.parse(p[name] as string);
    if (!Array.isArray(v)) throw new Error('not a list');
    return v;
  } catch {
    throw E.invalidParam(name);
  }
}

const itemError = (e: unknown) => (e instanceof BinanceError ? e.body() : E.unknown().body());

function timeWindow<T>(list: T[], p: Params, time: (x: T) => number, id: (x: T) => number, fromParam: string): T[] {
  const from = optInt(p, fromParam);
  const start = optInt(p, 'startTime');
  const end = optInt(p, 'endTime');
  const limit = Math.min(Math.max(optInt(p, 'limit') ?? 500, 1), 1000);
  const within = list.filter((x) => (from === undefined || id(x) >= from) && (start === undefined || time(x) >= start) && (end === undefined || time(x) <= end));
  return from !== undefined || start !== undefined ? within.slice(0, limit) : within.slice(-limit);
}

export const tradeRoutes: Route[] = [
  { method: 'POST', path: '/fapi/v1/order', security: 'SIGNED', weight: 0, orders: () => 1, handle: (ctx) => newOrder(ctx, ctx.params) },
  {
    method: 'GET', path: '/fapi/v1/order', security: 'SIGNED', weight: 1,
    handle: (ctx) => {
      const { orderId, clientId } = ids(ctx.params);
      return json(ctx, ctx.venue.queryOrder(ctx.account, need(ctx.params, 'symbol'), orderId, clientId));
    },
  },
  {
    method: 'DELETE', path: '/fapi/v1/order', security: 'SIGNED', weight: 1,
    handle: (ctx) => {
      const { orderId, clientId } = ids(ctx.params);
      return json(ctx, ctx.venue.cancelOrder(ctx.account, need(ctx.params, 'symbol'), orderId, clientId));
    },
  },
  {
    method: 'PUT', path: '/fapi/v1/order', security: 'SIGNED', weight: 1, orders: () => 1,
    handle: (ctx) => {
      const p = ctx.params;
      const m = ctx.venue.market(need(p, 'symbol'));
      const { orderId, clientId } = ids(p);
      const o = ctx.venue.findOrder(ctx.account, m.symbol, orderId, clientId);
      if (!o) throw E.noSuchOrder();
      const quantity = checkQty(p, 'quantity', m.spec, false);
      const price = checkPrice(p, 'price', m.spec);
      if (quantity === undefined) throw E.mandatory('quantity');
      if (price === undefined) throw E.mandatory('price');
      return json(ctx, ctx.venue.modifyOrder(ctx.account, o, side(p), quantity, price));
    },
  },
  {
    method: 'GET', path: '/fapi/v1/openOrder', security: 'SIGNED', weight: 1,
    handle: (ctx) => {
      const { orderId, clientId } = ids(ctx.params);
      const o = ctx.venue.queryOrder(ctx.account, need(ctx.params, 'symbol'), orderId, clientId);
      if (!ctx.account.open.has(o.orderId)) throw E.noSuchOrder();
      return json(ctx, o);
    },
  },
  {
    method: 'GET', path: '/fapi/v1/openOrders', security: 'SIGNED', weight: bySymbol(1, 40),
    handle: (ctx) => {
      const symbol = ctx.params.symbol || undefined;
      if (symbol) ctx.venue.market(symbol);
      return ctx.account.openOrders(symbol).map((o) => json(ctx, o));
    },
  },
  {
    method: 'GET', path: '/fapi/v1/allOrders', security: 'SIGNED', weight: 5,
    handle: (ctx) => {
      const symbol = ctx.venue.market(need(ctx.params, 'symbol')).symbol;
      const list = [...ctx.account.orders.values()].filter((o) => o.symbol === symbol);
      return timeWindow(list, ctx.params, (o) => o.time, (o) => o.orderId, 'orderId').map((o) => json(ctx, o));
    },
  },
  {
    method: 'DELETE', path: '/fapi/v1/allOpenOrders', security: 'SIGNED', weight: 1,
    handle: (ctx) => {
      ctx.venue.cancelAll(ctx.account, need(ctx.params, 'symbol'));
      return { code: 200, msg: 'The operation of cancel all open order is done.' };
    },
  },
  {
    method: 'POST', path: '/fapi/v1/batchOrders', security: 'SIGNED', weight: 5,
    orders: (p) => { try { return jsonList(p, ['batchOrders'])?.length ?? 1; } catch { return 1; } },
    handle: (ctx) => {
      const list = jsonList(ctx.params, ['batchOrders']);
      if (!list) throw E.mandatory('batchOrders');
      if (list.length > 5) throw E.invalidParam('batchOrders');
      return list.map((item) => {
        try {
          const p: Params = {};
          for (const [k, v] of Object.entries(item as Record<string, unknown>)) p[k] = String(v);
          return newOrder(ctx, p);
        } catch (e) {
          return itemError(e);
        }
      });
    },
  },
  {
    method: 'DELETE', path: '/fapi/v1/batchOrders', security: 'SIGNED', weight: 1,
    handle: (ctx) => {
      const symbol = need(ctx.params, 'symbol');
      const orderIds = jsonList(ctx.params, ['orderIdList', 'orderidlist']);
      const clientIds = jsonList(ctx.params, ['origClientOrderIdList', 'origclientorderidlist']);
      if (!orderIds && !clientIds) throw E.eitherParam('orderIdList', 'origClientOrderIdList');
      const targets = orderIds ? orderIds.map((id) => ({ orderId: Number(id), clientId: undefined })) : (clientIds ?? []).map((c) => ({ orderId: undefined, clientId: String(c) }));
      return targets.map((t) => {
        try {
          return json(ctx, ctx.venue.cancelOrder(ctx.account, symbol, t.orderId, t.clientId));
        } catch (e) {
          return itemError(e);
        }
      });
    },
  },
  {
    method: 'GET', path: '/fapi/v1/userTrades', security: 'SIGNED', weight: 5,
    handle: (ctx) => {
      const p = ctx.params;
      const m = ctx.venue.market(need(p, 'symbol'));
      const orderId = optInt(p, 'orderId');
      const list = ctx.account.trades.filter((t) => t.symbol === m.symbol && (orderId === undefined || t.orderId === orderId));
      return timeWindow(list, p, (t) => t.time, (t) => t.id, 'fromId').map((t) => f.userTradeJson(t, m.spec));
    },
  },
  // ---- conditional orders (STOP, STOP_MARKET, TAKE_PROFIT, TAKE_PROFIT_MARKET, TRAILING_STOP_MARKET)
  {
    method: 'POST', path: '/fapi/v1/algoOrder', security: 'SIGNED', weight: 0, orders: () => 1,
    handle: (ctx) => {
      const m = ctx.venue.market(ctx.params.symbol);
      const algo = ctx.venue.newAlgoOrder(ctx.account, readAlgoOrder(ctx.params, m.spec));
      return f.algoJson(algo, m.spec);
    },
  },
  {
    method: 'GET', path: '/fapi/v1/algoOrder', security: 'SIGNED', weight: 1,
    handle: (ctx) => {
      const algo = ctx.venue.findAlgo(ctx.account, optInt(ctx.params, 'algoId'), checkClientId(ctx.params, 'clientAlgoId'));
      if (!algo || (ctx.params.symbol && algo.symbol !== ctx.params.symbol)) throw E.noSuchOrder();
      return f.algoJson(algo, ctx.venue.market(algo.symbol).spec, ctx.venue.actualOrder(ctx.account, algo));
    },
  },
  {
    method: 'DELETE', path: '/fapi/v1/algoOrder', security: 'SIGNED', weight: 1,
    handle: (ctx) => {
      const algo = ctx.venue.cancelAlgo(ctx.account, optInt(ctx.params, 'algoId'), checkClientId(ctx.params, 'clientAlgoId'));
      return { algoId: algo.algoId, clientAlgoId: algo.clientAlgoId, code: '200', msg: 'success' };
    },
  },
  {
    method: 'GET', path: '/fapi/v1/openAlgoOrders', security: 'SIGNED', weight: bySymbol(1, 40),
    handle: (ctx) => {
      const symbol = ctx.params.symbol || undefined;
      if (symbol) ctx.venue.market(symbol);
      return ctx.account.openAlgoOrders(symbol).map((a) => f.algoJson(a, ctx.venue.market(a.symbol).spec));
    },
  },
  {
    method: 'GET', path: '/fapi/v1/allAlgoOrders', security: 'SIGNED', weight: 5,
    handle: (ctx) => {
      const m = ctx.venue.market(need(ctx.params, 'symbol'));
      const list = [...ctx.account.algo.values()].filter((a) => a.symbol === m.symbol);
      return timeWindow(list, ctx.params, (a) => a.createTime, (a) => a.algoId, 'algoId').map((a) => f.algoJson(a, m.spec, ctx.venue.actualOrder(ctx.account, a)));
    },
  },
  {
    method: 'DELETE', path: '/fapi/v1/algoOpenOrders', security: 'SIGNED', weight: 1,
    handle: (ctx) => {
      ctx.venue.cancelAllAlgo(ctx.account, need(ctx.params, 'symbol'));
      return { code: 200, msg: 'The operation of cancel all open order is done.' };
    },
  },
];
