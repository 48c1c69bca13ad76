// Request parameter reading and the order-parameter checks Binance applies before an order
// reaches the matching engine: mandatory fields, enums, precision, PRICE_FILTER, LOT_SIZE,
// MARKET_LOT_SIZE (MIN_NOTIONAL and PERCENT_PRICE need the market and are checked there).
import { E } from './errors.js';
import { decimals, isDecimal, isMultiple } from './num.js';
import { ORDER_TYPES, TIME_IN_FORCE, type SymbolSpec } from './symbols.js';
import type { AlgoType, Side } from './types.js';

export type Params = Record<string, string>;

export function need(p: Params, name: string): string {
  const v = p[name];
  if (v === undefined || v === '') throw E.mandatory(name);
  return v;
}

export function optInt(p: Params, name: string): number | undefined {
  const v = p[name];
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d{1,19}$/.test(v)) throw E.illegalChars(name, '^[0-9]{1,20}$');
  return Number(v);
}

export function optBool(p: Params, name: string): boolean {
  const v = p[name];
  if (v === undefined || v === '') return false;
  const lower = v.toLowerCase();
  if (lower !== 'true' && lower !== 'false') throw E.invalidParam(name);
  return lower === 'true';
}

const DECIMAL_RANGE = '^([0-9]{1,20})(\\.[0-9]{1,20})?$';
const CLIENT_ID = /^[.A-Z:/a-z0-9_-]{1,36}$/;

function decimalParam(p: Params, name: string): { text: string; value: number } | undefined {
  const text = p[name];
  if (text === undefined || text === '') return undefined;
  if (!isDecimal(text)) throw E.illegalChars(name, DECIMAL_RANGE);
  return { text, value: Number(text) };
}

export function checkPrice(p: Params, name: string, s: SymbolSpec): number | undefined {
  const d = decimalParam(p, name);
  if (!d) return undefined;
  if (decimals(d.text) > s.pricePrecision) throw E.precision();
  if (d.value <= 0) throw E.priceBelowZero();
  if (d.value < s.minPrice) throw E.priceBelowMin();
  if (d.value > s.maxPrice) throw E.priceAboveMax();
  if (!isMultiple(d.value, s.tickSize)) throw E.priceNotTick();
  return d.value;
}

export function checkStopPrice(p: Params, name: string, s: SymbolSpec): number | undefined {
  const d = decimalParam(p, name);
  if (!d) return undefined;
  if (decimals(d.text) > s.pricePrecision) throw E.precision();
  if (d.value <= 0) throw E.stopPriceBelowZero();
  if (d.value > s.maxPrice) throw E.stopPriceAboveMax();
  if (!isMultiple(d.value, s.tickSize)) throw E.priceNotTick();
  return d.value;
}

export function checkQty(p: Params, name: string, s: SymbolSpec, market: boolean): number | undefined {
  const d = decimalParam(p, name);
  if (!d) return undefined;
  if (decimals(d.text) > s.quantityPrecision) throw E.precision();
  if (d.value <= 0) throw E.qtyBelowZero();
  if (d.value < (market ? s.marketMinQty : s.minQty)) throw E.qtyBelowMin();
  if (d.value > (market ? s.marketMaxQty : s.maxQty)) throw E.qtyAboveMax();
  if (!isMultiple(d.value, s.stepSize)) throw E.qtyNotStep();
  return d.value;
}

export function checkClientId(p: Params, name: string): string | undefined {
  const v = p[name];
  if (v === undefined || v === '') return undefined;
  if (v.length > 36) throw E.clientIdTooLong();
  if (!CLIENT_ID.test(v)) throw E.illegalChars(name, '^[\\.A-Z\\:/a-z0-9_-]{1,36}$');
  return v;
}

export function side(p: Params): Side {
  const v = need(p, 'side');
  if (v !== 'BUY' && v !== 'SELL') throw E.invalidSide();
  return v;
}

export function positionSide(p: Params): void {
  const v = p.positionSide;
  if (v === undefined || v === '' || v === 'BOTH') return;
  if (v === 'LONG' || v === 'SHORT') throw E.positionSideMismatch();
  throw E.invalidParam('positionSide');
}

export function timeInForce(p: Params, fallback: string): string {
  const v = p.timeInForce;
  if (v === undefined || v === '') return fallback;
  if (!TIME_IN_FORCE.includes(v)) throw E.invalidTif();
  return v;
}

export function orderType(p: Params): string {
  const v = need(p, 'type');
  if (!ORDER_TYPES.includes(v)) throw E.invalidOrderType();
  return v;
}

export interface OrderRequest {
  symbol: string;
  side: Side;
  type: 'LIMIT' | 'MARKET';
  timeInForce: string;
  quantity: number;
  price: number;
  reduceOnly: boolean;
  clientOrderId: string | undefined;
  goodTillDate: number;
  priceMatch: string;
  selfTradePreventionMode: string;
  respType: 'ACK' | 'RESULT';
}

/** Reads and checks POST /fapi/v1/order (LIMIT and MARKET; conditional types live on the algo endpoint). */
export function readOrder(p: Params, s: SymbolSpec): OrderRequest {
  const sd = side(p);
  const type = orderType(p);
  if (type !== 'LIMIT' && type !== 'MARKET') throw E.useAlgoEndpoint();
  positionSide(p);
  const market = type === 'MARKET';
  const quantity = checkQty(p, 'quantity', s, market);
  if (quantity === undefined) throw E.mandatory('quantity');
  if (optBool(p, 'closePosition')) throw E.notRequired('closePosition');
  let price = 0;
  let tif = 'GTC';
  if (type === 'LIMIT') {
    price = checkPrice(p, 'price', s) ?? NaN;
    if (Number.isNaN(price)) throw E.mandatory('price');
    tif = timeInForce(p, '');
    if (tif === '') throw E.mandatory('timeInForce');
  } else if (p.price !== undefined && p.price !== '') {
    throw E.notRequired('price');
  }
  let goodTillDate = 0;
  if (tif === 'GTD') {
    goodTillDate = optInt(p, 'goodTillDate') ?? 0;
    if (!goodTillDate) throw E.mandatory('goodTillDate');
  }
  const resp = p.newOrderRespType ?? 'ACK';
  if (resp !== 'ACK' && resp !== 'RESULT') throw E.invalidParam('newOrderRespType');
  return {
    symbol: s.symbol, side: sd, type, timeInForce: tif, quantity, price, reduceOnly: optBool(p, 'reduceOnly'),
    clientOrderId: checkClientId(p, 'newClientOrderId'), goodTillDate, priceMatch: p.priceMatch || 'NONE',
    selfTradePreventionMode: p.selfTradePreventionMode || 'EXPIRE_MAKER', respType: resp,
  };
}

export interface AlgoRequest {
  symbol: string;
  side: Side;
  type: AlgoType;
  timeInForce: string;
  quantity: number;
  price: number;
  triggerPrice: number;
  reduceOnly: boolean;
  closePosition: boolean;
  clientAlgoId: string | undefined;
  workingType: string;
  priceProtect: boolean;
  priceMatch: string;
  selfTradePreventionMode: string;
  activatePrice: number;
  callbackRate: number;
  goodTillDate: number;
}

/** Reads and checks POST /fapi/v1/algoOrder (algoType CONDITIONAL). */
export function readAlgoOrder(p: Params, s: SymbolSpec): AlgoRequest {
  if (need(p, 'algoType') !== 'CONDITIONAL') throw E.invalidParam('algoType');
  const sd = side(p);
  const type = orderType(p);
  if (type === 'LIMIT' || type === 'MARKET') throw E.invalidOrderType();
  positionSide(p);
  const closePosition = optBool(p, 'closePosition');
  const reduceOnly = optBool(p, 'reduceOnly');
  const isMarket = type === 'STOP_MARKET' || type === 'TAKE_PROFIT_MARKET' || type === 'TRAILING_STOP_MARKET';
  let quantity = checkQty(p, 'quantity', s, isMarket) ?? 0;
  if (closePosition) {
    if (type !== 'STOP_MARKET' && type !== 'TAKE_PROFIT_MARKET') throw E.invalidParam('closePosition');
    if (quantity) throw E.closePositionWithQty();
    if (reduceOnly) throw E.notRequired('reduceOnly');
    quantity = 0;
  } else if (!quantity) {
    throw E.mandatory('quantity');
  }
  let price = 0;
  let tif = 'GTC';
  if (type === 'STOP' || type === 'TAKE_PROFIT') {
    price = checkPrice(p, 'price', s) ?? NaN;
    if (Number.isNaN(price)) throw E.mandatory('price');
    tif = timeInForce(p, 'GTC');
  }
  let triggerPrice = 0;
  let activatePrice = 0;
  let callbackRate = 0;
  if (type === 'TRAILING_STOP_MARKET') {
    const cb = p.callbackRate;
    callbackRate = cb === undefined ? NaN : Number(cb);
    if (!(callbackRate >= 0.1 && callbackRate <= 10)) throw E.invalidParam('callbackRate');
    activatePrice = checkStopPrice(p, 'activatePrice', s) ?? 0;
  } else {
    triggerPrice = checkStopPrice(p, 'triggerPrice', s) ?? NaN;
    if (Number.isNaN(triggerPrice)) throw E.mandatory('triggerPrice');
  }
  const workingType = p.workingType || 'CONTRACT_PRICE';
  if (workingType !== 'CONTRACT_PRICE' && workingType !== 'MARK_PRICE') throw E.invalidParam('workingType');
  return {
    symbol: s.symbol, side: sd, type: type as AlgoType, timeInForce: tif, quantity, price, triggerPrice, reduceOnly,
    closePosition, clientAlgoId: checkClientId(p, 'clientAlgoId'), workingType, priceProtect: optBool(p, 'priceProtect'),
    priceMatch: p.priceMatch || 'NONE', selfTradePreventionMode: p.selfTradePreventionMode || 'EXPIRE_MAKER',
    activatePrice, callbackRate, goodTillDate: optInt(p, 'goodTillDate') ?? 0,
  };
}
