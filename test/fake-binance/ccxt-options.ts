// The ccxt constructor options that point `binanceusdm` (REST and ccxt.pro) at a fake venue.
// Nothing of ccxt is replaced: only its configuration (URLs, keys, options) changes.
import { Agent } from 'node:http';
import ccxt from 'ccxt';

export interface FakeEndpoint {
  url: string;
  wsUrl: string;
  apiKey: string;
  secret: string;
}

/** Keys of ccxt's binance `urls.api` and the path each has on Binance. */
const REST_PATHS: Record<string, string> = {
  fapiPublic: '/fapi/v1', fapiPublicV2: '/fapi/v2', fapiPublicV3: '/fapi/v3',
  fapiPrivate: '/fapi/v1', fapiPrivateV2: '/fapi/v2', fapiPrivateV3: '/fapi/v3', fapiData: '/futures/data',
  dapiPublic: '/dapi/v1', dapiPrivate: '/dapi/v1', dapiPrivateV2: '/dapi/v2', dapiData: '/futures/data',
  eapiPublic: '/eapi/v1', eapiPrivate: '/eapi/v1', public: '/api/v3', private: '/api/v3', v1: '/api/v1',
  sapi: '/sapi/v1', sapiV2: '/sapi/v2', sapiV3: '/sapi/v3', sapiV4: '/sapi/v4', papi: '/papi/v1', papiV2: '/papi/v2',
};

/**
 * ccxt's `urls.api` for binance pointed at `url`/`wsUrl`: plain JSON, so a configuration file can
 * carry it to a server in another process (which must then also apply the other settings of
 * binanceusdmOptions: the USD-M error table, an httpAgent for ws://, fetchCurrencies off).
 */
export function binanceusdmUrls(fake: { url: string; wsUrl: string }): Record<string, unknown> {
  const api: Record<string, unknown> = {};
  for (const [key, path] of Object.entries(REST_PATHS)) api[key] = fake.url + path;
  const ws = `${fake.wsUrl}/ws`;
  api.ws = {
    spot: ws, margin: ws, future: ws, delivery: ws, stock: ws, papi: ws,
    option: `${fake.wsUrl}/public/ws`, optionMarket: `${fake.wsUrl}/market/ws`, optionPrivate: `${fake.wsUrl}/private/ws`,
    'ws-api': { spot: `${fake.wsUrl}/ws-api/v3`, future: `${fake.wsUrl}/ws-fapi/v1`, delivery: `${fake.wsUrl}/ws-dapi/v1` },
  };
  return api;
}

export interface BinanceusdmFakeOptions {
  apiKey?: string;
  secret?: string;
  /** ccxt's request timeout (ms). */
  timeout?: number;
  /** ccxt's recvWindow option (ms; Binance's default is 5000, ccxt sends 10000). */
  recvWindow?: number;
  /**
   * How often ccxt.pro renews the listen key (ms; ccxt's default is 20 min). Its renewal timer
   * is not unref'd: a test process using watchOrders waits for it after `close()`, so tests
   * set it short.
   */
  listenKeyRefreshRate?: number;
  /** ccxt's client-side rate limiter (default on, as the adapter runs it). */
  enableRateLimit?: boolean;
  /** Extra ccxt options merged in. */
  options?: Record<string, unknown>;
}

/**
 * Options for `new ccxt.binanceusdm(...)` or `new ccxt.pro.binanceusdm(...)` against the fake.
 *
 * Every REST and WebSocket URL ccxt knows for Binance points at the fake (nothing can leak to
 * the internet). ccxt chooses its USD-M error table by the URL's host (`https://fapi.binance.com`),
 * which a loopback URL cannot match; so the USD-M table ccxt itself ships (e.g. -2019 →
 * InsufficientFunds, -4116 → InvalidOrder) is handed to it as the general table, giving the same
 * exception classes as against the real host. `fetchCurrencies` is off: it is a spot-wallet call
 * (sapi) that USD-M trading does not need. ccxt.pro opens plain `ws://` URLs only through an
 * `httpAgent` (it refuses them otherwise), so one is given.
 */
export function binanceusdmOptions(fake: FakeEndpoint, opts: BinanceusdmFakeOptions = {}): Record<string, unknown> {
  const api = binanceusdmUrls(fake);
  const reference = new ccxt.binanceusdm();
  const linearExact = (reference.exceptions as { linear?: { exact?: Record<string, unknown> } }).linear?.exact ?? {};
  const options: Record<string, unknown> = { fetchCurrencies: false, ...opts.options };
  if (opts.recvWindow !== undefined) options.recvWindow = opts.recvWindow;
  if (opts.listenKeyRefreshRate !== undefined) options.listenKeyRefreshRate = opts.listenKeyRefreshRate;
  return {
    apiKey: opts.apiKey ?? fake.apiKey,
    secret: opts.secret ?? fake.secret,
    enableRateLimit: opts.enableRateLimit ?? true,
    httpAgent: new Agent(),
    ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}),
    urls: { api },
    exceptions: { exact: linearExact },
    options,
  };
}
