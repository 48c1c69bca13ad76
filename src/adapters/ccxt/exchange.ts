import { Agent } from 'node:http';
import type { Exchange } from 'ccxt';
import { exchangeClass } from './library.js';

export interface ExchangeSettings {
  exchange: string;
  marketType: string;
  environment: 'testnet' | 'mainnet';
  apiKey: string;
  secret: string;
  password?: string;
  timeoutMs: number;
  recvWindowMs: number;
  /** ccxt's rolling-window rate limiter: the window's length (its budget is windowMs / ccxt's rateLimit cost units). */
  rateLimitWindowMs: number;
  /** ccxt `urls.api` override (a loopback test venue); empty for the exchange's own URLs. */
  urls: Record<string, unknown>;
  /** Use ccxt.pro (WebSocket user stream) when the exchange has it. */
  pro: boolean;
}

/**
 * ccxt's rate limiter, on, with its rolling-window algorithm. ccxt's default (a leaky bucket of
 * capacity 1 that refills only while requests queue) makes every request wait its full cost
 * after the previous one however long ago that was: 4 × 50 ms before each Binance order. The
 * rolling window admits a request at once while the window's requests, this one included, cost
 * at most windowMs / rateLimit units (binanceusdm over 60 s: 1,200, which ccxt's cost table maps
 * inside Binance's 2,400 request weight and 1,200 orders a minute) and queues it until enough of
 * the window's oldest requests have expired otherwise. Idle time is credited; a burst is spaced.
 */
export const rateLimiterSettings = (windowMs: number) => ({ enableRateLimit: true, rateLimiterAlgorithm: 'rollingWindow', rollingWindowSize: windowMs });

/**
 * A ccxt client for one account: the rate limiter on (rolling window), the exchange's own URLs (testnet through
 * ccxt's sandbox mode) unless overridden. With overridden URLs, what ccxt derives from its own
 * hosts is supplied: Binance's USD-M error table (ccxt picks it by host, which a loopback URL
 * cannot match), an httpAgent (ccxt.pro opens ws:// only with one), no spot-wallet currency call.
 */
export async function createExchange(s: ExchangeSettings): Promise<Exchange> {
  const Ctor = (s.pro ? await exchangeClass(s.exchange, true) : null) ?? (await exchangeClass(s.exchange, false));
  if (!Ctor) throw new Error(`unknown ccxt exchange id '${s.exchange}'`);
  const custom = Object.keys(s.urls).length > 0;
  const options: Record<string, unknown> = { defaultType: s.marketType, recvWindow: s.recvWindowMs, fetchCurrencies: false };
  const settings: Record<string, unknown> = {
    apiKey: s.apiKey,
    secret: s.secret,
    ...(s.password ? { password: s.password } : {}),
    ...rateLimiterSettings(s.rateLimitWindowMs),
    timeout: s.timeoutMs,
    options,
  };
  if (custom) {
    const reference = new Ctor({});
    const linearExact = (reference.exceptions as { linear?: { exact?: Record<string, unknown> } }).linear?.exact;
    settings.urls = { ...(reference.urls as Record<string, unknown>), api: s.urls };
    if (linearExact) settings.exceptions = { ...(reference.exceptions as Record<string, unknown>), exact: linearExact };
    settings.httpAgent = new Agent({ keepAlive: true });
  }
  const exchange = new Ctor(settings);
  if (!custom && s.environment === 'testnet') exchange.setSandboxMode(true);
  return exchange;
}

/** ccxt.pro's user-data stream is there (watchMyTrades and watchOrders). */
export const hasUserStream = (ex: Exchange): boolean => Boolean(ex.has.watchMyTrades) && Boolean(ex.has.watchOrders);
