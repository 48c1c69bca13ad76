// Binance USD-M futures error answers: `{code, msg}` with the HTTP status Binance uses.
// Codes and messages follow Binance's published error-code list for USDⓈ-M futures
// (developers.binance.com/docs/derivatives/usds-margined-futures/error-code).

export class BinanceError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    msg: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(msg);
  }

  body(): { code: number; msg: string } {
    return { code: this.code, msg: this.message };
  }
}

const bad = (code: number, msg: string) => new BinanceError(400, code, msg);

/** Every error the fake answers, by name, so handlers never spell a code twice. */
export const E = {
  unknown: () => new BinanceError(500, -1000, 'An unknown error occured while processing the request.'),
  internal: () => new BinanceError(503, -1001, 'Internal error; unable to process your request. Please try again.'),
  unknownExecution: () => new BinanceError(503, -1000, 'Unknown error, please check your request or try again later.'),
  tooManyRequests: (limit: number, retryAfterSec: number) =>
    new BinanceError(429, -1003, `Too many requests; current limit of IP(127.0.0.1) is ${limit} requests per minute. Please use the websocket for live updates to avoid polling the API.`, { 'Retry-After': String(retryAfterSec) }),
  banned: (untilMs: number, retryAfterSec: number) =>
    new BinanceError(418, -1003, `Way too many requests; IP(127.0.0.1) banned until ${untilMs}. Please use the websocket for live updates to avoid bans.`, { 'Retry-After': String(retryAfterSec) }),
  tooManyOrders: (limit: number, interval: string, retryAfterSec: number) =>
    new BinanceError(429, -1015, `Too many new orders; current limit is ${limit} orders per ${interval}.`, { 'Retry-After': String(retryAfterSec) }),
  timestampAhead: () => bad(-1021, "Timestamp for this request was 1000ms ahead of the server's time."),
  timestampOutside: () => bad(-1021, 'Timestamp for this request is outside of the recvWindow.'),
  badSignature: () => bad(-1022, 'Signature for this request is not valid.'),
  illegalChars: (param: string, range: string) => bad(-1100, `Illegal characters found in parameter '${param}'; legal range is '${range}'.`),
  duplicateParam: () => bad(-1101, 'Duplicate values for a parameter detected.'),
  mandatory: (param: string) => bad(-1102, `Mandatory parameter '${param}' was not sent, was empty/null, or malformed.`),
  eitherParam: (a: string, b: string) => bad(-1102, `Param '${a}' or '${b}' must be sent, but both were empty/null!`),
  notRequired: (param: string) => bad(-1106, `Parameter '${param}' sent when not required.`),
  precision: () => bad(-1111, 'Precision is over the maximum defined for this asset.'),
  invalidTif: () => bad(-1115, 'Invalid timeInForce.'),
  invalidOrderType: () => bad(-1116, 'Invalid orderType.'),
  invalidSide: () => bad(-1117, 'Invalid side.'),
  invalidInterval: () => bad(-1120, 'Invalid interval.'),
  invalidSymbol: () => bad(-1121, 'Invalid symbol.'),
  invalidListenKey: () => bad(-1125, 'This listenKey does not exist.'),
  invalidParam: (param: string) => bad(-1130, `Data sent for parameter '${param}' is not valid.`),
  badRecvWindow: () => bad(-1131, 'recvWindow must be less than 60000'),
  unknownOrder: () => bad(-2011, 'Unknown order sent.'),
  noSuchOrder: () => bad(-2013, 'Order does not exist.'),
  badApiKeyFormat: () => new BinanceError(401, -2014, 'API-key format invalid.'),
  rejectedApiKey: () => new BinanceError(401, -2015, 'Invalid API-key, IP, or permissions for action.'),
  marginInsufficient: () => bad(-2019, 'Margin is insufficient.'),
  wouldTrigger: () => bad(-2021, 'Order would immediately trigger.'),
  reduceOnlyRejected: () => bad(-2022, 'ReduceOnly Order is rejected.'),
  maxOpenOrders: () => bad(-2025, 'Reach max open order limit.'),
  exceededMaxPosition: () => bad(-2027, 'Exceeded the maximum allowable position at current leverage.'),
  priceBelowZero: () => bad(-4001, 'Price less than 0.'),
  priceAboveMax: () => bad(-4002, 'Price greater than max price.'),
  qtyBelowZero: () => bad(-4003, 'Quantity less than or equal to zero.'),
  qtyBelowMin: () => bad(-4004, 'Quantity less than min quantity.'),
  qtyAboveMax: () => bad(-4005, 'Quantity greater than max quantity.'),
  stopPriceBelowZero: () => bad(-4006, 'Stop price less than zero.'),
  stopPriceAboveMax: () => bad(-4007, 'Stop price greater than max price.'),
  priceBelowMin: () => bad(-4013, 'Price less than min price.'),
  priceNotTick: () => bad(-4014, 'Price not increased by tick size.'),
  clientIdTooLong: () => bad(-4015, 'Client order id length should not be more than 36 chars'),
  priceAboveMultiplier: (limit: string) => bad(-4016, `Limit price can't be higher than ${limit}.`),
  qtyNotStep: () => bad(-4023, 'Quantity not increased by step size.'),
  priceBelowMultiplier: (limit: string) => bad(-4024, `Limit price can't be lower than ${limit}.`),
  invalidLeverage: (value: string) => bad(-4028, `Leverage ${value} is not valid`),
  noNeedMarginType: () => bad(-4046, 'No need to change margin type.'),
  marginTypeOpenOrders: () => bad(-4047, 'Margin type cannot be changed if there exists open orders.'),
  marginTypePosition: () => bad(-4048, 'Margin type cannot be changed if there exists position.'),
  noNeedPositionSide: () => bad(-4059, 'No need to change position side.'),
  positionSideMismatch: () => bad(-4061, "Order's position side does not match user's setting."),
  closePositionWithQty: () => bad(-4136, 'Target strategy invalid for orderType MARKET,closePosition true'),
  duplicatedClientId: () => bad(-4116, 'ClientOrderId is duplicated.'),
  useAlgoEndpoint: () => bad(-4120, 'Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.'),
  minNotional: (min: string) => bad(-4164, `Order's notional must be no smaller than ${min} (unless you choose reduce only).`),
  fokRejected: () => bad(-5021, 'Due to the order could not be filled immediately, the FOK order has been rejected. The order will not be recorded in the order history'),
  gtxRejected: () => bad(-5022, 'Due to the order could not be executed as maker, the Post Only order will be rejected. The order will not be recorded in the order history'),
  invalidPath: (path: string, method: string) => new BinanceError(404, -5000, `Path ${path}, Method ${method} is invalid`),
  unsupported: (what: string) => bad(-1000, `The fake venue does not support ${what}.`),
};
