// REST answer bodies, field for field as Binance USD-M futures spells them (numbers as
// decimal strings, ids and times as integers).
import type { Account, AccountFigures, PositionFigures } from './account.js';
import { fixed, money } from './num.js';
import type { SymbolSpec } from './symbols.js';
import type { AlgoOrder, Order, UserTrade } from './types.js';

export const px = (s: SymbolSpec, v: number): string => fixed(v, s.pricePrecision);
export const qty = (s: SymbolSpec, v: number): string => fixed(v, s.quantityPrecision);
/** Average prices and quote amounts carry more decimals than prices. */
const avg = (s: SymbolSpec, v: number): string => fixed(v, s.pricePrecision + 3);

export function orderJson(o: Order, s: SymbolSpec): Record<string, unknown> {
  return {
    orderId: o.orderId,
    symbol: o.symbol,
    status: o.status,
    clientOrderId: o.clientOrderId,
    price: px(s, o.price),
    avgPrice: avg(s, o.executedQty > 0 ? o.cumQuote / o.executedQty : 0),
    origQty: qty(s, o.origQty),
    executedQty: qty(s, o.executedQty),
    cumQty: qty(s, o.executedQty),
    cumQuote: avg(s, o.cumQuote),
    timeInForce: o.timeInForce,
    type: o.type,
    reduceOnly: o.reduceOnly,
    closePosition: o.closePosition,
    side: o.side,
    positionSide: 'BOTH',
    stopPrice: px(s, o.stopPrice),
    workingType: o.workingType,
    priceProtect: o.priceProtect,
    origType: o.origType,
    priceMatch: o.priceMatch,
    selfTradePreventionMode: o.selfTradePreventionMode,
    goodTillDate: o.goodTillDate,
    time: o.time,
    updateTime: o.updateTime,
  };
}

/** The answer to POST /fapi/v1/order (no `time`, as Binance answers it). */
export function newOrderJson(o: Order, s: SymbolSpec): Record<string, unknown> {
  const { time: _time, ...rest } = orderJson(o, s);
  return rest;
}

export function algoJson(a: AlgoOrder, s: SymbolSpec, actual?: Order): Record<string, unknown> {
  const body: Record<string, unknown> = {
    algoId: a.algoId,
    clientAlgoId: a.clientAlgoId,
    algoType: 'CONDITIONAL',
    orderType: a.orderType,
    symbol: a.symbol,
    side: a.side,
    positionSide: 'BOTH',
    timeInForce: a.timeInForce,
    quantity: qty(s, a.quantity),
    algoStatus: a.algoStatus,
    triggerPrice: px(s, a.triggerPrice),
    price: px(s, a.price),
    icebergQuantity: null,
    selfTradePreventionMode: a.selfTradePreventionMode,
    workingType: a.workingType,
    priceMatch: a.priceMatch,
    closePosition: a.closePosition,
    priceProtect: a.priceProtect,
    reduceOnly: a.reduceOnly,
    createTime: a.createTime,
    updateTime: a.updateTime,
    triggerTime: a.triggerTime,
    goodTillDate: a.goodTillDate,
  };
  if (a.orderType === 'TRAILING_STOP_MARKET') {
    body.activatePrice = px(s, a.activatePrice);
    body.callbackRate = fixed(a.callbackRate, 1);
  }
  if (actual) {
    body.actualOrderId = String(actual.orderId);
    body.actualPrice = avg(s, actual.executedQty > 0 ? actual.cumQuote / actual.executedQty : 0);
    body.actualQty = qty(s, actual.executedQty);
    body.actualType = actual.type;
  } else {
    body.actualOrderId = '';
    body.actualPrice = '0.00000';
    body.actualQty = '0';
  }
  return body;
}

export function userTradeJson(t: UserTrade, s: SymbolSpec): Record<string, unknown> {
  return {
    symbol: t.symbol,
    id: t.id,
    orderId: t.orderId,
    side: t.side,
    price: px(s, t.price),
    qty: qty(s, t.qty),
    realizedPnl: money(t.realizedPnl),
    quoteQty: fixed(t.quoteQty, s.pricePrecision + 3),
    commission: money(t.commission),
    commissionAsset: t.commissionAsset,
    time: t.time,
    positionSide: 'BOTH',
    buyer: t.side === 'BUY',
    maker: t.maker,
  };
}

function assetRow(f: AccountFigures, a: Account, asset: string): Record<string, string | number> {
  const isMargin = asset === 'USDT';
  const z = money(0);
  return {
    asset,
    walletBalance: isMargin ? money(f.wallet) : z,
    unrealizedProfit: isMargin ? money(f.unrealized) : z,
    marginBalance: isMargin ? money(f.wallet + f.unrealized) : z,
    maintMargin: isMargin ? money(f.maintMargin) : z,
    initialMargin: isMargin ? money(f.positionInitialMargin + f.openOrderInitialMargin) : z,
    positionInitialMargin: isMargin ? money(f.positionInitialMargin) : z,
    openOrderInitialMargin: isMargin ? money(f.openOrderInitialMargin) : z,
    crossWalletBalance: isMargin ? money(f.crossWallet) : z,
    crossUnPnl: isMargin ? money(f.crossUnrealized) : z,
    availableBalance: isMargin ? money(f.available) : z,
    maxWithdrawAmount: isMargin ? money(Math.min(f.available, f.wallet)) : z,
    // Binance lists assets never used with updateTime 0 (ccxt skips them).
    updateTime: isMargin ? a.walletUpdateTime : 0,
  };
}

const OTHER_ASSETS = ['BTC', 'BNB', 'ETH', 'USDC'];

const hasActivity = (p: PositionFigures) => p.amt !== 0 || p.openOrderInitialMargin > 0 || p.bidNotional > 0 || p.askNotional > 0;

function totals(f: AccountFigures): Record<string, string> {
  return {
    totalInitialMargin: money(f.positionInitialMargin + f.openOrderInitialMargin),
    totalMaintMargin: money(f.maintMargin),
    totalWalletBalance: money(f.wallet),
    totalUnrealizedProfit: money(f.unrealized),
    totalMarginBalance: money(f.wallet + f.unrealized),
    totalPositionInitialMargin: money(f.positionInitialMargin),
    totalOpenOrderInitialMargin: money(f.openOrderInitialMargin),
    totalCrossWalletBalance: money(f.crossWallet),
    totalCrossUnPnl: money(f.crossUnrealized),
    availableBalance: money(f.available),
    maxWithdrawAmount: money(Math.min(f.available, f.wallet)),
  };
}

export function accountV3Json(a: Account, f: AccountFigures, specs: Map<string, SymbolSpec>): unknown {
  return {
    ...totals(f),
    assets: ['USDT', ...OTHER_ASSETS].map((asset) => assetRow(f, a, asset)),
    positions: f.positions.filter(hasActivity).map((p) => {
      const s = specs.get(p.symbol) as SymbolSpec;
      return {
        symbol: p.symbol, positionSide: 'BOTH', positionAmt: qty(s, p.amt), unrealizedProfit: money(p.unrealized),
        isolatedMargin: money(p.isolatedMargin), notional: money(p.notional), isolatedWallet: money(p.isolatedWallet),
        initialMargin: money(p.initialMargin), maintMargin: money(p.maintMargin), updateTime: p.updateTime,
      };
    }),
  };
}

export function accountV2Json(a: Account, f: AccountFigures, specs: Map<string, SymbolSpec>, makerRate: number): unknown {
  return {
    feeTier: 0, feeBurn: false, canTrade: true, canDeposit: true, canWithdraw: true, updateTime: 0,
    multiAssetsMargin: false, tradeGroupId: -1,
    ...totals(f),
    assets: ['USDT', ...OTHER_ASSETS].map((asset) => ({ ...assetRow(f, a, asset), marginAvailable: true })),
    positions: f.positions.map((p) => {
      const s = specs.get(p.symbol) as SymbolSpec;
      return {
        symbol: p.symbol, initialMargin: money(p.initialMargin), maintMargin: money(p.maintMargin),
        unrealizedProfit: money(p.unrealized), positionInitialMargin: money(p.initialMargin - p.openOrderInitialMargin),
        openOrderInitialMargin: money(p.openOrderInitialMargin), leverage: String(p.leverage),
        isolated: p.marginType === 'ISOLATED', entryPrice: fixed(p.entry, s.pricePrecision + 5),
        breakEvenPrice: fixed(p.breakEven, s.pricePrecision + 5), maxNotional: String(p.maxNotional),
        bidNotional: money(p.bidNotional), askNotional: money(p.askNotional), positionSide: 'BOTH',
        positionAmt: qty(s, p.amt), updateTime: p.updateTime, notional: money(p.notional),
        isolatedWallet: money(p.isolatedWallet), makerCommissionRate: String(makerRate),
      };
    }),
  };
}

export function balanceJson(a: Account, f: AccountFigures): unknown[] {
  return ['USDT', ...OTHER_ASSETS].map((asset) => {
    const isMargin = asset === 'USDT';
    const z = money(0);
    return {
      accountAlias: `fake${a.id}`,
      asset,
      balance: isMargin ? money(f.wallet) : z,
      crossWalletBalance: isMargin ? money(f.crossWallet) : z,
      crossUnPnl: isMargin ? money(f.crossUnrealized) : z,
      availableBalance: isMargin ? money(f.available) : z,
      maxWithdrawAmount: isMargin ? money(Math.min(f.available, f.wallet)) : z,
      marginAvailable: true,
      updateTime: isMargin ? a.walletUpdateTime : 0,
    };
  });
}

export function positionRiskV2Json(p: PositionFigures, s: SymbolSpec): unknown {
  return {
    symbol: p.symbol,
    positionAmt: qty(s, p.amt),
    entryPrice: fixed(p.entry, s.pricePrecision + 5),
    breakEvenPrice: fixed(p.breakEven, s.pricePrecision + 5),
    markPrice: fixed(p.mark, s.pricePrecision + 6),
    unRealizedProfit: money(p.unrealized),
    liquidationPrice: fixed(p.liquidationPrice, s.pricePrecision + 6),
    leverage: String(p.leverage),
    maxNotionalValue: String(p.maxNotional),
    marginType: p.marginType === 'ISOLATED' ? 'isolated' : 'cross',
    isolatedMargin: money(p.isolatedMargin),
    isAutoAddMargin: 'false',
    positionSide: 'BOTH',
    notional: money(p.notional),
    isolatedWallet: money(p.isolatedWallet),
    updateTime: p.updateTime,
  };
}

export function positionRiskV3Json(p: PositionFigures, s: SymbolSpec): unknown {
  return {
    symbol: p.symbol,
    positionSide: 'BOTH',
    positionAmt: qty(s, p.amt),
    entryPrice: fixed(p.entry, s.pricePrecision + 5),
    breakEvenPrice: fixed(p.breakEven, s.pricePrecision + 5),
    markPrice: fixed(p.mark, s.pricePrecision + 6),
    unRealizedProfit: money(p.unrealized),
    liquidationPrice: fixed(p.liquidationPrice, s.pricePrecision + 6),
    isolatedMargin: money(p.isolatedMargin),
    notional: money(p.notional),
    marginAsset: 'USDT',
    isolatedWallet: money(p.isolatedWallet),
    initialMargin: money(p.initialMargin),
    maintMargin: money(p.maintMargin),
    positionInitialMargin: money(p.initialMargin - p.openOrderInitialMargin),
    openOrderInitialMargin: money(p.openOrderInitialMargin),
    adl: p.amt === 0 ? 0 : 1,
    bidNotional: money(p.bidNotional),
    askNotional: money(p.askNotional),
    updateTime: p.updateTime,
  };
}

export const positionHasActivity = hasActivity;
