// Round trips to the fake Binance USD-M venue on loopback, no injected latency: what the fake
// itself costs, so adapter benchmarks built on it know their floor.
//
//   node dist/bench/fake-binance.js            (FAKE_BINANCE_ORDERS=N orders per row, default 500)
//
// Rows: ccxt binanceusdm createOrder (market, filled in the answer; ccxt's rate limiter off);
// a raw signed POST /fapi/v1/order over a kept-alive connection; and submit → the
// ORDER_TRADE_UPDATE (FILLED) event on the user-data WebSocket.
import ccxt from 'ccxt';
import WebSocket from 'ws';
import { binanceusdmOptions } from '../test/fake-binance/ccxt-options.js';
import { hmacHex, startFakeBinance, type FakeBinance } from '../test/fake-binance/index.js';
import { envNumber, isMain, machineInfo, nowMs, summarize, type Summary } from './common.js';

export interface FakeBinanceBenchRow {
  name: string;
  latencyMs: Summary;
  /** CPU time (user + system) of this process per order: the client and the fake together; unlike latency, not inflated by other processes. */
  cpuMsPerOrder: number;
}

async function row(name: string, n: number, run: () => Promise<Float64Array>): Promise<FakeBinanceBenchRow> {
  const cpu = process.cpuUsage();
  const samples = await run();
  const used = process.cpuUsage(cpu);
  return { name, latencyMs: summarize(samples), cpuMsPerOrder: (used.user + used.system) / 1000 / (n + 20) };
}

async function ccxtRoundTrip(fake: FakeBinance, n: number): Promise<Float64Array> {
  const ex = new ccxt.binanceusdm(binanceusdmOptions(fake, { enableRateLimit: false }));
  await ex.loadMarkets();
  const out = new Float64Array(n);
  for (let i = -20; i < n; i++) {
    const t = nowMs();
    await ex.createOrder('BTC/USDT:USDT', 'market', i % 2 ? 'sell' : 'buy', 0.002);
    if (i >= 0) out[i] = nowMs() - t;
  }
  await ex.close();
  return out;
}

function signedOrder(fake: FakeBinance, side: string, clientId: string): Promise<Response> {
  const query = `symbol=BTCUSDT&side=${side}&type=MARKET&quantity=0.002&newClientOrderId=${clientId}&timestamp=${Date.now()}`;
  return fetch(`${fake.url}/fapi/v1/order`, {
    method: 'POST',
    headers: { 'X-MBX-APIKEY': fake.apiKey, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: `${query}&signature=${hmacHex(fake.secret, query)}`,
  });
}

async function rawRoundTrip(fake: FakeBinance, n: number): Promise<Float64Array> {
  const out = new Float64Array(n);
  for (let i = -20; i < n; i++) {
    const t = nowMs();
    const res = await signedOrder(fake, i % 2 ? 'SELL' : 'BUY', `raw-${i + 20}`);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`order answered ${res.status}`);
    if (i >= 0) out[i] = nowMs() - t;
  }
  return out;
}

async function submitToFillEvent(fake: FakeBinance, n: number): Promise<Float64Array> {
  const key = ((await (await fetch(`${fake.url}/fapi/v1/listenKey`, { method: 'POST', headers: { 'X-MBX-APIKEY': fake.apiKey } })).json()) as { listenKey: string }).listenKey;
  const ws = new WebSocket(`${fake.wsUrl}/ws/${key}`);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const waiting = new Map<string, () => void>();
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString()) as { e?: string; o?: { c: string; X: string } };
    if (m.e === 'ORDER_TRADE_UPDATE' && m.o?.X === 'FILLED') waiting.get(m.o.c)?.();
  });
  const out = new Float64Array(n);
  for (let i = -20; i < n; i++) {
    const id = `evt-${i + 20}`;
    const t = nowMs();
    const filled = new Promise<void>((resolve) => waiting.set(id, resolve));
    const res = await signedOrder(fake, i % 2 ? 'SELL' : 'BUY', id);
    await res.arrayBuffer();
    await filled;
    if (i >= 0) out[i] = nowMs() - t;
  }
  ws.close();
  return out;
}

export async function runFakeBinanceBench(n = envNumber('FAKE_BINANCE_ORDERS', 500)): Promise<FakeBinanceBenchRow[]> {
  const fake = await startFakeBinance({ replayBars: 2000, rateLimits: false, accounts: [{ balance: 1_000_000 }] });
  try {
    return [
      await row('ccxt createOrder (market) round trip', n, () => ccxtRoundTrip(fake, n)),
      await row('raw signed POST /fapi/v1/order round trip', n, () => rawRoundTrip(fake, n)),
      await row('submit → ORDER_TRADE_UPDATE FILLED (user stream)', n, () => submitToFillEvent(fake, n)),
    ];
  } finally {
    await fake.close();
  }
}

if (isMain(import.meta.url)) {
  const rows = await runFakeBinanceBench();
  const m = machineInfo();
  console.log(`fake Binance round trips, ${rows[0]?.latencyMs.count} orders per row, ${m.cores} cores, Node ${m.node}`);
  console.log('| row | p50 ms | p90 ms | p99 ms | max ms | CPU ms/order |\n|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.name} | ${r.latencyMs.p50.toFixed(2)} | ${r.latencyMs.p90.toFixed(2)} | ${r.latencyMs.p99.toFixed(2)} | ${r.latencyMs.max.toFixed(1)} | ${r.cpuMsPerOrder.toFixed(2)} |`);
}
