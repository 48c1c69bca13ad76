// The fake venue's records: orders, conditional (algo) orders, fills, positions, income.

export type Side = 'BUY' | 'SELL';
export type OrderStatus = 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'EXPIRED' | 'EXPIRED_IN_MATCH';
export type AlgoType = 'STOP_MARKET' | 'TAKE_PROFIT_MARKET' | 'STOP' | 'TAKE_PROFIT' | 'TRAILING_STOP_MARKET';
export type AlgoStatus = 'NEW' | 'TRIGGERING' | 'TRIGGERED' | 'FINISHED' | 'CANCELED' | 'EXPIRED' | 'REJECTED';
export type MarginType = 'CROSSED' | 'ISOLATED';

export interface Order {
  orderId: number;
  symbol: string;
  clientOrderId: string;
  side: Side;
  type: 'LIMIT' | 'MARKET';
  origType: string;
  timeInForce: string;
  origQty: number;
  price: number;
  stopPrice: number;
  reduceOnly: boolean;
  closePosition: boolean;
  executedQty: number;
  cumQuote: number;
  status: OrderStatus;
  time: number;
  updateTime: number;
  goodTillDate: number;
  workingType: string;
  priceProtect: boolean;
  priceMatch: string;
  selfTradePreventionMode: string;
  /** The conditional order this order was triggered from. */
  algoId?: number;
}

export interface AlgoOrder {
  algoId: number;
  clientAlgoId: string;
  symbol: string;
  side: Side;
  orderType: AlgoType;
  timeInForce: string;
  quantity: number;
  price: number;
  triggerPrice: number;
  algoStatus: AlgoStatus;
  closePosition: boolean;
  reduceOnly: boolean;
  priceProtect: boolean;
  workingType: string;
  priceMatch: string;
  selfTradePreventionMode: string;
  activatePrice: number;
  callbackRate: number;
  /** Best price seen since a trailing stop activated (highest for SELL, lowest for BUY). */
  trailExtreme?: number;
  createTime: number;
  updateTime: number;
  triggerTime: number;
  goodTillDate: number;
  actualOrderId?: number;
  rejectReason: string;
}

export interface UserTrade {
  id: number;
  symbol: string;
  orderId: number;
  side: Side;
  price: number;
  qty: number;
  quoteQty: number;
  commission: number;
  commissionAsset: string;
  realizedPnl: number;
  maker: boolean;
  time: number;
}

export interface Position {
  symbol: string;
  /** Signed: > 0 long, < 0 short (one-way mode). */
  amt: number;
  entry: number;
  updateTime: number;
}

export interface Income {
  tranId: number;
  symbol: string;
  incomeType: 'REALIZED_PNL' | 'COMMISSION' | 'TRANSFER';
  income: number;
  asset: string;
  time: number;
  tradeId: string;
  info: string;
}

export interface SymbolConfig {
  leverage: number;
  marginType: MarginType;
}
