// Account routes: balance, account, position risk, leverage, margin type, brackets, fees,
// configuration, income, and the user-data stream's listen key.
import { E } from './errors.js';
import * as f from './format.js';
import { money } from './num.js';
import { need, optBool, optInt } from './params.js';
import type { Ctx, Route } from './route.js';
import type { SymbolSpec } from './symbols.js';
import { randomId } from './venue.js';

function positionList(ctx: Ctx, onlyActive: boolean): unknown[] {
  const symbol = ctx.params.symbol;
  if (symbol) ctx.venue.market(symbol);
  const figures = ctx.venue.figures(ctx.account);
  return figures.positions
    .filter((p) => (!symbol || p.symbol === symbol) && (!onlyActive || f.positionHasActivity(p)))
    .map((p) => ({ p, s: ctx.venue.specs.get(p.symbol) as SymbolSpec }))
    .map(({ p, s }) => (onlyActive ? f.positionRiskV3Json(p, s) : f.positionRiskV2Json(p, s)));
}

function listenKey(ctx: Ctx, create: boolean): { listenKey: string } {
  const a = ctx.account;
  const ttl = ctx.venue.opts.listenKeyTtlMs;
  const live = a.listenKey && a.listenKey.expiresAt > ctx.now ? a.listenKey : undefined;
  if (!live) {
    if (!create) throw E.invalidListenKey();
    a.listenKey = { key: randomId(64), expiresAt: ctx.now + ttl };
  } else {
    live.expiresAt = ctx.now + ttl;
  }
  return { listenKey: (a.listenKey as { key: string }).key };
}

export const accountRoutes: Route[] = [
  { method: 'GET', path: '/fapi/v2/balance', security: 'SIGNED', weight: 5, handle: (ctx) => f.balanceJson(ctx.account, ctx.venue.figures(ctx.account)) },
  { method: 'GET', path: '/fapi/v3/balance', security: 'SIGNED', weight: 5, handle: (ctx) => f.balanceJson(ctx.account, ctx.venue.figures(ctx.account)) },
  { method: 'GET', path: '/fapi/v2/account', security: 'SIGNED', weight: 5, handle: (ctx) => f.accountV2Json(ctx.account, ctx.venue.figures(ctx.account), ctx.venue.specs, ctx.venue.opts.makerRate) },
  { method: 'GET', path: '/fapi/v3/account', security: 'SIGNED', weight: 5, handle: (ctx) => f.accountV3Json(ctx.account, ctx.venue.figures(ctx.account), ctx.venue.specs) },
  { method: 'GET', path: '/fapi/v2/positionRisk', security: 'SIGNED', weight: 5, handle: (ctx) => positionList(ctx, false) },
  { method: 'GET', path: '/fapi/v3/positionRisk', security: 'SIGNED', weight: 5, handle: (ctx) => positionList(ctx, true) },
  {
    method: 'POST', path: '/fapi/v1/leverage', security: 'SIGNED', weight: 1,
    handle: (ctx) => {
      const text = need(ctx.params, 'leverage');
      if (!/^\d{1,4}$/.test(text)) throw E.invalidLeverage(text);
      return ctx.venue.setLeverage(ctx.account, need(ctx.params, 'symbol'), Number(text));
    },
  },
  { method: 'POST', path: '/fapi/v1/marginType', security: 'SIGNED', weight: 1, handle: (ctx) => ctx.venue.setMarginType(ctx.account, need(ctx.params, 'symbol'), need(ctx.params, 'marginType')) },
  {
    method: 'GET', path: '/fapi/v1/leverageBracket', security: 'SIGNED', weight: 1,
    handle: (ctx) => {
      const symbol = ctx.params.symbol;
      const list = [...ctx.venue.specs.values()].filter((s) => !symbol || s.symbol === symbol).map((s) => ({
        symbol: s.symbol, notionalCoef: 1.0,
        brackets: s.brackets.map((b) => ({ bracket: b.bracket, initialLeverage: b.initialLeverage, notionalCap: b.notionalCap, notionalFloor: b.notionalFloor, maintMarginRatio: b.maintMarginRatio, cum: b.cum })),
      }));
      if (symbol && list.length === 0) throw E.invalidSymbol();
      return symbol ? list : list;
    },
  },
  {
    method: 'GET', path: '/fapi/v1/commissionRate', security: 'SIGNED', weight: 20,
    handle: (ctx) => ({ symbol: ctx.venue.market(ctx.params.symbol).symbol, makerCommissionRate: String(ctx.venue.opts.makerRate), takerCommissionRate: String(ctx.venue.opts.takerRate), rpiCommissionRate: '0' }),
  },
  {
    method: 'GET', path: '/fapi/v1/symbolConfig', security: 'SIGNED', weight: 5,
    handle: (ctx) => {
      const symbol = ctx.params.symbol;
      if (symbol) ctx.venue.market(symbol);
      return [...ctx.venue.specs.values()].filter((s) => !symbol || s.symbol === symbol).map((s) => {
        const c = ctx.account.symbolConfig(s.symbol);
        const fig = ctx.venue.figures(ctx.account).positions.find((p) => p.symbol === s.symbol);
        return { symbol: s.symbol, marginType: c.marginType, isAutoAddMargin: false, leverage: c.leverage, maxNotionalValue: String(fig?.maxNotional ?? 0) };
      });
    },
  },
  {
    method: 'GET', path: '/fapi/v1/accountConfig', security: 'SIGNED', weight: 5,
    handle: () => ({ feeTier: 0, canTrade: true, canDeposit: true, canWithdraw: true, dualSidePosition: false, updateTime: 0, multiAssetsMargin: false, tradeGroupId: -1 }),
  },
  { method: 'GET', path: '/fapi/v1/positionSide/dual', security: 'SIGNED', weight: 30, handle: () => ({ dualSidePosition: false }) },
  {
    method: 'POST', path: '/fapi/v1/positionSide/dual', security: 'SIGNED', weight: 1,
    handle: (ctx) => {
      if (!optBool(ctx.params, 'dualSidePosition')) throw E.noNeedPositionSide();
      throw E.unsupported('Hedge Mode (dualSidePosition=true); it runs in One-way Mode');
    },
  },
  { method: 'GET', path: '/fapi/v1/multiAssetsMargin', security: 'SIGNED', weight: 30, handle: () => ({ multiAssetsMargin: false }) },
  {
    method: 'GET', path: '/fapi/v1/income', security: 'SIGNED', weight: 30,
    handle: (ctx) => {
      const p = ctx.params;
      const start = optInt(p, 'startTime');
      const end = optInt(p, 'endTime');
      const limit = Math.min(optInt(p, 'limit') ?? 100, 1000);
      const list = ctx.account.income.filter((i) => (!p.symbol || i.symbol === p.symbol) && (!p.incomeType || i.incomeType === p.incomeType) && (start === undefined || i.time >= start) && (end === undefined || i.time <= end));
      return (start !== undefined ? list.slice(0, limit) : list.slice(-limit)).map((i) => ({ ...i, income: money(i.income) }));
    },
  },
  { method: 'POST', path: '/fapi/v1/listenKey', security: 'USER_STREAM', weight: 1, handle: (ctx) => listenKey(ctx, true) },
  { method: 'PUT', path: '/fapi/v1/listenKey', security: 'USER_STREAM', weight: 1, handle: (ctx) => listenKey(ctx, false) },
  {
    method: 'DELETE', path: '/fapi/v1/listenKey', security: 'USER_STREAM', weight: 1,
    handle: (ctx) => {
      ctx.account.listenKey = undefined;
      return {};
    },
  },
];
