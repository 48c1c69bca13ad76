// A loopback fake of Binance USD-M futures for tests and benchmarks: the real ccxt
// `binanceusdm` client (REST and ccxt.pro WebSocket) talks to it unchanged, signatures
// included. See docs/FAKE-EXCHANGE.md.
//
//   const fake = await startFakeBinance();                 // BTCUSDT + ETHUSDT, manual replay
//   const ex = new ccxt.binanceusdm(binanceusdmOptions(fake));
//   await ex.createOrder('BTC/USDT:USDT', 'market', 'buy', 0.01);
//   fake.control.step(4);                                   // the next 1-minute bar
//   await fake.close();
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeControl } from './control.js';
import { controlHandler } from './control-http.js';
import { Faults } from './faults.js';
import { MarketState } from './market.js';
import { loadBars, scaleBars, type Bar } from './price-path.js';
import { RateLimiter } from './rate-limit.js';
import { RestFront } from './rest.js';
import { accountRoutes } from './routes-account.js';
import { marketRoutes } from './routes-market.js';
import { tradeRoutes } from './routes-trade.js';
import { FakeServer } from './server.js';
import { SYMBOLS } from './symbols.js';
import { randomId, Venue } from './venue.js';
import { StreamHub } from './ws-hub.js';

export { FakeControl } from './control.js';
export type { FaultRule, FaultMatch } from './faults.js';
export type { RequestLogEntry } from './rest.js';
export { hmacHex } from './auth.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The default price path: Binance's BTCUSDT 1-minute klines of January 2025, next to the repository. */
/** The week of real BTCUSDT klines shipped in the repository (looped by default), so the fake runs on a fresh clone. */
export const DEFAULT_DATA_FILE = join(repoRoot, 'samples', 'BTCUSDT-1m-2025-01-01_07.csv.gz');

export interface FakeAccountOptions {
  apiKey?: string;
  secret?: string;
  /** USDT wallet balance (default 10000). */
  balance?: number;
}

export interface FakeBinanceOptions {
  /** Port on 127.0.0.1 (default 0: any free port). */
  port?: number;
  host?: string;
  /** Binance kline CSV (.csv or .csv.gz) replayed as BTCUSDT (default DEFAULT_DATA_FILE). */
  dataFile?: string;
  /** Bars instead of a file (tests that want a made-up path). */
  bars?: Bar[];
  /** Bars of history before the replay starts (klines before "now"; default 1500). */
  historyBars?: number;
  /** Bars read from the file after the history (default 20000). */
  replayBars?: number;
  /** Start over at the first bar when the path is exhausted (default true). */
  loop?: boolean;
  /** ETHUSDT follows the BTCUSDT path times this ratio (default 0.0357, ETH/BTC in January 2025). */
  ethBtcRatio?: number;
  /** Replay on its own, one tick every N ms (default 0: only `control.step()` moves prices). */
  tickIntervalMs?: number;
  /** Accounts (API key → account); default one account with a random key and secret. */
  accounts?: FakeAccountOptions[];
  /** Commission rates (default Binance's regular tier: maker 0.0002, taker 0.0005). */
  makerRate?: number;
  takerRate?: number;
  /** Default leverage of every symbol (Binance's default is 20). */
  defaultLeverage?: number;
  /** Enforce Binance's request-weight and order-count limits (default true). */
  rateLimits?: boolean;
  /** A reused newClientOrderId is -4116 while the earlier order is open (Binance) or always. */
  clientOrderIdScope?: 'open' | 'all';
  /** Listen key validity (default 60 min). */
  listenKeyTtlMs?: number;
  /** Base quantity of a synthetic book level, per symbol (default BTCUSDT 2, ETHUSDT 40). */
  levelQty?: Record<string, number>;
  /** Levels per book side (default 50). */
  depthLevels?: number;
  /** The venue clock (default Date.now). */
  now?: () => number;
}

export interface FakeBinance {
  /** http://127.0.0.1:PORT — REST root (paths /fapi/v1/..., /fapi/v2/..., /fapi/v3/...). */
  url: string;
  /** ws://127.0.0.1:PORT — WebSocket root (/ws, /stream, /public/ws, /market/ws, /private/ws). */
  wsUrl: string;
  port: number;
  /** Credentials of the first account. */
  apiKey: string;
  secret: string;
  venue: Venue;
  control: FakeControl;
  close(): Promise<void>;
}

export async function startFakeBinance(options: FakeBinanceOptions = {}): Promise<FakeBinance> {
  const history = options.historyBars ?? 1500;
  const bars = options.bars ?? (await loadBars(options.dataFile ?? DEFAULT_DATA_FILE, history + (options.replayBars ?? 20_000)));
  const now = options.now ?? (() => Date.now());
  const venue = new Venue({
    makerRate: options.makerRate ?? 0.0002,
    takerRate: options.takerRate ?? 0.0005,
    clientOrderIdScope: options.clientOrderIdScope ?? 'open',
    listenKeyTtlMs: options.listenKeyTtlMs ?? 3_600_000,
    defaultLeverage: options.defaultLeverage ?? 20,
    now,
  });
  const start = venue.now();
  const levelQty = { BTCUSDT: 2, ETHUSDT: 40, ...options.levelQty };
  const marketOptions = (symbol: keyof typeof levelQty) => ({ levelQty: levelQty[symbol], depthLevels: options.depthLevels ?? 50, loop: options.loop ?? true });
  const ratio = options.ethBtcRatio ?? 0.0357;
  venue.addMarket(new MarketState(SYMBOLS.BTCUSDT!, bars, history, start, marketOptions('BTCUSDT'), 6_000_000_000));
  venue.addMarket(new MarketState(SYMBOLS.ETHUSDT!, scaleBars(bars, ratio, 1 / ratio / 2), history, start, marketOptions('ETHUSDT'), 3_000_000_000));

  const accounts = options.accounts?.length ? options.accounts : [{}];
  const created = accounts.map((a) => venue.addAccount(a.apiKey ?? randomId(64), a.secret ?? randomId(64), a.balance ?? 10_000));
  const first = created[0]!;

  const faults = new Faults();
  const hub = new StreamHub(venue);
  venue.sink = hub;
  const rest = new RestFront(venue, [...marketRoutes, ...accountRoutes, ...tradeRoutes], faults, new RateLimiter(options.rateLimits ?? true), hub);
  const late: { control?: FakeControl } = {};
  const server = new FakeServer(options.host ?? '127.0.0.1', rest, hub, (req, res, path) => controlHandler(late.control as FakeControl)(req, res, path));
  const control = new FakeControl(venue, faults, hub, rest, server, first.apiKey);
  late.control = control;
  const port = await server.listen(options.port ?? 0);
  if (options.tickIntervalMs) control.startAuto(options.tickIntervalMs);
  const expiry = setInterval(() => hub.expireListenKeys(), 1000);
  expiry.unref();

  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host}:${port}`,
    wsUrl: `ws://${host}:${port}`,
    port,
    apiKey: first.apiKey,
    secret: first.secret,
    venue,
    control,
    async close() {
      clearInterval(expiry);
      control.close();
      await server.stop();
      hub.close();
    },
  };
}
