import { Agent } from 'node:http';
import type { Exchange } from 'ccxt';
import { rateLimiterSettings } from './ccxt/exchange.js';
import { exchangeClass } from './ccxt/library.js';

export interface CcxtClientSettings {
  /** A ccxt exchange id, e.g. binanceusdm. */
  exchange: string;
  /** The venue's testnet (ccxt's sandbox mode). */
  sandbox: boolean;
  /** ccxt `urls.api` replacement (a loopback venue in tests); empty = ccxt's own URLs. */
  urls: Record<string, unknown>;
  apiKey?: string;
  secret?: string;
  timeoutMs?: number;
}

/**
 * A ccxt.pro client (REST and WebSocket in one object) for `settings.exchange`, rate limiter on (rolling window).
 * Custom URLs need what ccxt otherwise derives from the real host: the error table ccxt picks by
 * host (Binance USD-M's `exceptions.linear.exact`), an `httpAgent` (ccxt.pro refuses plain ws://
 * without one) and no spot-wallet currency query.
 */
export async function createCcxtClient(settings: CcxtClientSettings): Promise<Exchange> {
  const Pro = await exchangeClass(settings.exchange, true);
  if (!Pro) throw new Error(`ccxt has no WebSocket (pro) exchange '${settings.exchange}'`);
  // ccxt's limiter with its rolling window over a minute, as the accounts' (see rateLimiterSettings).
  const options: Record<string, unknown> = { ...rateLimiterSettings(60_000) };
  if (settings.apiKey) options.apiKey = settings.apiKey;
  if (settings.secret) options.secret = settings.secret;
  if (settings.timeoutMs) options.timeout = settings.timeoutMs;
  // No positions snapshot behind the user stream: ccxt.pro's binance (4.5.84, setPositionsCache)
  // starts a REST position query with every watchOrders / watchMyTrades subscription and parks an
  // unawaited future for it; when the stream drops before that query has answered (a slow venue,
  // a busy machine), the future is rejected with nobody listening and the unhandled rejection ends
  // the process. Positions come from the reconciler's own REST queries; nothing here watches them.
  options.options = { watchPositions: { fetchPositionsSnapshot: false } };
  if (Object.keys(settings.urls).length > 0) {
    const reference = new Pro({});
    const linear = (reference.exceptions as { linear?: { exact?: Record<string, unknown> } }).linear?.exact;
    options.urls = { api: settings.urls };
    if (linear) options.exceptions = { exact: linear };
    options.options = { ...(options.options as object), fetchCurrencies: false };
    if (JSON.stringify(settings.urls).includes('"ws://')) options.httpAgent = new Agent({ keepAlive: true });
  }
  const exchange = new Pro(options);
  if (settings.sandbox) exchange.setSandboxMode(true);
  return exchange;
}

const GUARD = Symbol.for('tradewind.ccxtWsSendGuard');

/**
 * Works around a ccxt.pro race (4.5.84, base/Exchange.js `watch`): a subscription whose rate-limit
 * slot comes after its socket closed (a venue cut, `close()` at shutdown) calls `client.send`
 * without handling its rejection, so "WebSocket is not open" becomes an unhandled rejection, which
 * ends a Node process. The watch itself is rejected properly and retried by the feed; only that
 * stray rejection is swallowed (logged). Any other unhandled rejection is rethrown, as Node's
 * default would. Installed once per process by the composition root.
 */
export function guardCcxtWebSocketSendRace(log: { warn(obj: object, msg: string): void }): void {
  if (process.listeners('unhandledRejection').some((l) => GUARD in l)) return;
  const handler = Object.assign(
    (reason: unknown) => {
      const stack = reason instanceof Error ? (reason.stack ?? '') : '';
      if (reason instanceof Error && /^WebSocket is not open: readyState [23] /.test(reason.message) && stack.includes('/ccxt/')) {
        log.warn({ err: reason.message }, 'ccxt: subscription sent on a closed WebSocket (ignored; the stream is retried)');
        return;
      }
      throw reason;
    },
    { [GUARD]: true },
  );
  process.on('unhandledRejection', handler);
}
