// The two perpetuals the fake lists, with the trading rules Binance published for them
// (exchangeInfo filters, precisions, leverage brackets), and the exchangeInfo document.

export interface Bracket {
  bracket: number;
  initialLeverage: number;
  notionalCap: number;
  notionalFloor: number;
  maintMarginRatio: number;
  cum: number;
}

export interface SymbolSpec {
  symbol: string;
  baseAsset: string;
  quoteAsset: string;
  marginAsset: string;
  pricePrecision: number;
  quantityPrecision: number;
  tickSize: number;
  minPrice: number;
  maxPrice: number;
  stepSize: number;
  minQty: number;
  maxQty: number;
  marketMinQty: number;
  marketMaxQty: number;
  minNotional: number;
  multiplierUp: number;
  multiplierDown: number;
  maxNumOrders: number;
  maxNumAlgoOrders: number;
  underlyingSubType: string[];
  onboardDate: number;
  brackets: Bracket[];
  /** Text forms exactly as exchangeInfo spells them. */
  text: { tickSize: string; minPrice: string; maxPrice: string; stepSize: string; minQty: string; maxQty: string; marketMaxQty: string; minNotional: string };
}

/** [initialLeverage, notionalCap, maintMarginRatio]; floors and maintenance amounts are derived. */
type Tier = [number, number, number];

function brackets(tiers: Tier[]): Bracket[] {
  const out: Bracket[] = [];
  let floor = 0;
  let cum = 0;
  let prevRatio = 0;
  tiers.forEach(([lev, cap, ratio], i) => {
    cum += floor * (ratio - prevRatio);
    out.push({ bracket: i + 1, initialLeverage: lev, notionalCap: cap, notionalFloor: floor, maintMarginRatio: ratio, cum: Math.round(cum * 100) / 100 });
    floor = cap;
    prevRatio = ratio;
  });
  return out;
}

const BTC_TIERS: Tier[] = [
  [125, 50_000, 0.004], [100, 600_000, 0.005], [75, 3_000_000, 0.0065], [50, 12_000_000, 0.01],
  [25, 70_000_000, 0.02], [20, 100_000_000, 0.025], [10, 230_000_000, 0.05], [5, 480_000_000, 0.1],
  [4, 600_000_000, 0.125], [3, 800_000_000, 0.15], [2, 1_200_000_000, 0.25], [1, 1_800_000_000, 0.5],
];
const ETH_TIERS: Tier[] = [
  [125, 50_000, 0.004], [100, 600_000, 0.005], [75, 3_000_000, 0.0065], [50, 12_000_000, 0.01],
  [25, 50_000_000, 0.02], [20, 65_000_000, 0.025], [10, 150_000_000, 0.05], [5, 320_000_000, 0.1],
  [4, 400_000_000, 0.125], [3, 530_000_000, 0.15], [2, 800_000_000, 0.25], [1, 1_200_000_000, 0.5],
];

function spec(s: Omit<SymbolSpec, 'tickSize' | 'minPrice' | 'maxPrice' | 'stepSize' | 'minQty' | 'maxQty' | 'marketMinQty' | 'marketMaxQty' | 'minNotional'>): SymbolSpec {
  const t = s.text;
  return {
    ...s,
    tickSize: Number(t.tickSize),
    minPrice: Number(t.minPrice),
    maxPrice: Number(t.maxPrice),
    stepSize: Number(t.stepSize),
    minQty: Number(t.minQty),
    maxQty: Number(t.maxQty),
    marketMinQty: Number(t.minQty),
    marketMaxQty: Number(t.marketMaxQty),
    minNotional: Number(t.minNotional),
  };
}

export const SYMBOLS: Record<string, SymbolSpec> = {
  BTCUSDT: spec({
    symbol: 'BTCUSDT', baseAsset: 'BTC', quoteAsset: 'USDT', marginAsset: 'USDT',
    pricePrecision: 2, quantityPrecision: 3,
    multiplierUp: 1.05, multiplierDown: 0.95, maxNumOrders: 200, maxNumAlgoOrders: 10,
    underlyingSubType: ['PoW'], onboardDate: 1569398400000, brackets: brackets(BTC_TIERS),
    text: { tickSize: '0.10', minPrice: '261.10', maxPrice: '809484', stepSize: '0.001', minQty: '0.001', maxQty: '1000', marketMaxQty: '120', minNotional: '100' },
  }),
  ETHUSDT: spec({
    symbol: 'ETHUSDT', baseAsset: 'ETH', quoteAsset: 'USDT', marginAsset: 'USDT',
    pricePrecision: 2, quantityPrecision: 3,
    multiplierUp: 1.05, multiplierDown: 0.95, maxNumOrders: 200, maxNumAlgoOrders: 10,
    underlyingSubType: ['Layer-1'], onboardDate: 1569398400000, brackets: brackets(ETH_TIERS),
    text: { tickSize: '0.01', minPrice: '39.86', maxPrice: '306177', stepSize: '0.001', minQty: '0.001', maxQty: '10000', marketMaxQty: '2000', minNotional: '20' },
  }),
};

export const ORDER_TYPES = ['LIMIT', 'MARKET', 'STOP', 'STOP_MARKET', 'TAKE_PROFIT', 'TAKE_PROFIT_MARKET', 'TRAILING_STOP_MARKET'];
export const TIME_IN_FORCE = ['GTC', 'IOC', 'FOK', 'GTX', 'GTD'];

export const RATE_LIMITS = { requestWeightPerMinute: 2400, ordersPer10s: 300, ordersPerMinute: 1200 };

/** The bracket a position of `notional` falls in. */
export function bracketFor(s: SymbolSpec, notional: number): Bracket {
  const abs = Math.abs(notional);
  return s.brackets.find((b) => abs < b.notionalCap) ?? (s.brackets[s.brackets.length - 1] as Bracket);
}

/** The largest notional a position may reach at `leverage`. */
export function maxNotionalFor(s: SymbolSpec, leverage: number): number {
  let cap = 0;
  for (const b of s.brackets) if (b.initialLeverage >= leverage) cap = b.notionalCap;
  return cap;
}

export function exchangeInfo(symbols: SymbolSpec[], serverTime: number): unknown {
  return {
    timezone: 'UTC',
    serverTime,
    futuresType: 'U_MARGINED',
    rateLimits: [
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: RATE_LIMITS.requestWeightPerMinute },
      { rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 1, limit: RATE_LIMITS.ordersPerMinute },
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: RATE_LIMITS.ordersPer10s },
    ],
    exchangeFilters: [],
    assets: [
      { asset: 'USDT', marginAvailable: true, autoAssetExchange: '-10000' },
      { asset: 'BTC', marginAvailable: true, autoAssetExchange: '-0.10000000' },
      { asset: 'BNB', marginAvailable: true, autoAssetExchange: '-10' },
    ],
    symbols: symbols.map((s) => ({
      symbol: s.symbol,
      pair: s.symbol,
      contractType: 'PERPETUAL',
      deliveryDate: 4133404800000,
      onboardDate: s.onboardDate,
      status: 'TRADING',
      maintMarginPercent: '2.5000',
      requiredMarginPercent: '5.0000',
      baseAsset: s.baseAsset,
      quoteAsset: s.quoteAsset,
      marginAsset: s.marginAsset,
      pricePrecision: s.pricePrecision,
      quantityPrecision: s.quantityPrecision,
      baseAssetPrecision: 8,
      quotePrecision: 8,
      underlyingType: 'COIN',
      underlyingSubType: s.underlyingSubType,
      settlePlan: 0,
      triggerProtect: '0.0500',
      liquidationFee: '0.012500',
      marketTakeBound: '0.05',
      maxMoveOrderLimit: 10000,
      filters: [
        { filterType: 'PRICE_FILTER', minPrice: s.text.minPrice, maxPrice: s.text.maxPrice, tickSize: s.text.tickSize },
        { filterType: 'LOT_SIZE', stepSize: s.text.stepSize, minQty: s.text.minQty, maxQty: s.text.maxQty },
        { filterType: 'MARKET_LOT_SIZE', stepSize: s.text.stepSize, minQty: s.text.minQty, maxQty: s.text.marketMaxQty },
        { filterType: 'MAX_NUM_ORDERS', limit: s.maxNumOrders },
        { filterType: 'MAX_NUM_ALGO_ORDERS', limit: s.maxNumAlgoOrders },
        { filterType: 'MIN_NOTIONAL', notional: s.text.minNotional },
        { filterType: 'PERCENT_PRICE', multiplierUp: s.multiplierUp.toFixed(4), multiplierDown: s.multiplierDown.toFixed(4), multiplierDecimal: '4' },
      ],
      orderTypes: ORDER_TYPES,
      timeInForce: TIME_IN_FORCE,
      permissionSets: ['GRID', 'COPY'],
    })),
  };
}
