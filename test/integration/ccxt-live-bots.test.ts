// Live bots trading on a ccxt account (binanceusdm against the loopback fake Binance venue, the
// real ccxt client inside a real `tradewind start`): a seed 001 engine started with mode live and
// a seed 002 Max bot started with environment LIVE and accounts_ids naming the account take their
// signals from the venue's own market data (feed.kind ccxt: an exchange account never trades on
// simulated prices), send signed orders carrying Tradewind's client ids to the venue's book, get
// the venue's fills back, and end with the journal's positions and fills equal to the venue's
// account. With an account risk limit set low every entry is refused by the risk engine and no
// order request reaches the venue (and a Max bot of the exchange account is back after a restart).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { binanceusdmUrls } from '../fake-binance/ccxt-options.js';
import { startFakeBinance, type FakeBinance } from '../fake-binance/index.js';
import { ccxtAccountConfig, creds } from '../helpers/ccxt-account.js';
import { fastConfig, getJson, repoRoot, startServer, tempDir, waitFor, type ServerHandle } from '../helpers/server.js';

const KEY = 'LiveBotKey0123456789abcdef0123456789abcdef0123456789abcdef012345';
const SECRET = 'LiveBotSecretfedcba9876543210fedcba9876543210fedcba9876543210fe';
const KEY2 = 'LiveRiskKey0123456789abcdef0123456789abcdef0123456789abcdef01234';
const SECRET2 = 'LiveRiskSecretfedcba9876543210fedcba9876543210fedcba9876543210f';
const VENUE_SYMBOL: Record<string, string> = { 'BTC/USDT': 'BTCUSDT', 'ETH/USDT': 'ETHUSDT' };
const ORDER_PATHS = ['/fapi/v1/order', '/fapi/v1/batchOrders', '/fapi/v1/algoOrder'];

type Obj = Record<string, unknown>;
interface OrderView { id: string; botId: string; accountId: string; symbol: string; status: string; side: string; type: string; purpose: string; qty: number; filledQty: number; brokerOrderId: string | null; reason: string | null }
interface FillView { id: string; orderId: string; symbol: string; side: string; qty: number; price: number }
interface PositionView { symbol: string; side: string; qty: number; avgPrice: number; botId: string }
interface AccountView { account: { balance: number }; positions: PositionView[]; orders: OrderView[]; fills: FillView[] }

/** breakout_v1 on BTC/USDT alone, on half-second bars with permissive filters, so it trades within seconds. */
function presetsDir(dir: string): string {
  const out = join(dir, 'presets');
  mkdirSync(out, { recursive: true });
  const p = JSON.parse(readFileSync(join(repoRoot, 'presets', 'breakout_v1.json'), 'utf8')) as Obj;
  Object.assign(p, {
    name: 'btc_live',
    symbols: ['BTC/USDT'],
    bar_interval_ms: 500,
    liquidity_filters: { min_24h_volume_usd: 0, min_trades_per_minute: 0 },
    volatility_filters: { atr_min_pct: 0, atr_max_pct: 0.5, volume_surge_min: 0 },
    scanner_config: { max_candidates: 1, min_history_bars: 12, score_weights: { vol_surge: 0.5, momentum: 0.5 } },
    levels: { lookback_bars: 30, min_touches: 1, tolerance_atr: 1 },
    signal_config: { breakout_buffer_atr: 0, min_volume_ratio: 0, allow_short: true },
    position_config: { stop_buffer_atr: 1, take_profit_r: 3, max_hold_bars: 15 },
  });
  writeFileSync(join(out, 'btc_live.json'), JSON.stringify(p));
  return out;
}

function serverConfig(dir: string, fake: FakeBinance, extra: Obj = {}): string {
  const instruments = { 'BTC/USDT': { leverage: 5, marginType: 'isolated' }, 'ETH/USDT': { leverage: 5, marginType: 'isolated' } };
  return fastConfig(dir, {
    ...ccxtAccountConfig(fake, { environment: 'mainnet', instruments, timeoutMs: 5000, recvWindowMs: 5000 }),
    // The account's bots see the venue's prices: the live feed from the same venue.
    feed: { kind: 'ccxt', exchange: 'binanceusdm', symbols: { 'BTC/USDT': 'BTC/USDT:USDT', 'ETH/USDT': 'ETH/USDT:USDT' }, urls: binanceusdmUrls(fake), reconnectMinMs: 200 },
    maxBot: { barIntervalMs: 500 },
    presetsDir: presetsDir(dir),
    ...extra,
  });
}

const post = (url: string, body: unknown) => getJson<Obj>(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const maxRun = (server: ServerHandle, fields: Record<string, string>) => {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  return getJson<Obj>(`${server.url}/api/v1/run-bot/max`, { method: 'POST', body: f });
};
// ETH moves a few dollars a venue minute here: a 0.5 trigger breaks the last half-second bar often.
const MAX_RUN = { accountName: 'binance', contract: 'ETH/USDT', trading_mode: 'both', trading_side: 'both', point_strategy_key: '0.5_5_5_5', exit_strategy_key: '0_60', quantity: '1', environment: 'LIVE', accounts_ids: '["binance"]' };

/**
 * Waits until the journal agrees with the venue account: the same open positions (symbol, signed
 * quantity, entry price), the same trades (Tradewind's fill ids are the venue's trade ids), no
 * order left in flight; returns the journal's client-id tag.
 */
async function agreeWithVenue(server: ServerHandle, fake: FakeBinance, key: string): Promise<string> {
  let last = '';
  await waitFor(
    'the journal to match the venue account',
    async () => {
      const ours = await account(server);
      const venue = fake.control.account(key);
      const snap = fake.control.snapshot(key);
      const theirs = snap.positions.map((p) => `${p.symbol} ${n(p.amt)} @ ${p.entry.toFixed(2)}`).sort();
      const mine = ours.positions.map((p) => `${VENUE_SYMBOL[p.symbol]} ${n(p.side === 'long' ? p.qty : -p.qty)} @ ${p.avgPrice.toFixed(2)}`).sort();
      const venueTrades = venue.trades.map((t) => `${t.symbol}:${t.id} ${t.side.toLowerCase()} ${n(t.qty)} @ ${t.price}`).sort();
      const fills = ours.fills.map((f) => `${VENUE_SYMBOL[f.symbol]}:${f.id.split(':').at(-1)} ${f.side} ${n(f.qty)} @ ${f.price}`).sort();
      const inFlight = ours.orders.filter((o) => o.status === 'pending_submit' || o.status === 'cancel_pending');
      // The wallet: the venue's realised PnL less its commissions; ours: our own PnL less the fills' fees.
      const wallets = [Number(snap.wallet), ours.account.balance];
      last = JSON.stringify({ theirs, mine, venueTrades, fills, wallets, inFlight: inFlight.map((o) => `${o.id} ${o.status}`) });
      const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
      return inFlight.length === 0 && venueTrades.length > 0 && same(theirs, mine) && same(venueTrades, fills) && Math.abs(wallets[0]! - wallets[1]!) < 0.01;
    },
    60_000,
  ).catch((e: Error) => {
    throw new Error(`${e.message}: ${last}`);
  });
  const tag = /^tw([A-Za-z0-9_-]+)\./.exec(fake.control.snapshot(key).orders[0]?.clientOrderId ?? '')?.[1];
  assert.ok(tag, 'the venue orders carry the journal tag');
  return tag;
}

/** A quantity without float noise (steps are 0.001). */
const n = (q: number): string => q.toFixed(6);

const account = async (server: ServerHandle) => (await getJson<AccountView>(`${server.url}/api/accounts/binance`)).body;
const connected = (server: ServerHandle) =>
  waitFor('the binance account connected', async () => (await getJson<{ accounts: { id: string; state: string }[] }>(`${server.url}/api/accounts`)).body.accounts.some((a) => a.id === 'binance' && a.state === 'connected'), 120_000);

describe('live bots on a ccxt account (fake Binance USD-M)', () => {
  let fake: FakeBinance;
  before(async () => {
    fake = await startFakeBinance({ replayBars: 3000, historyBars: 100, tickIntervalMs: 50, accounts: [{ apiKey: KEY, secret: SECRET, balance: 10_000 }] });
  });
  after(async () => fake?.close());

  it('seed 001 live and Max LIVE place signed orders with our client ids on the venue; fills and positions match the venue account', async (t) => {
    const dir = tempDir('tw-live-bots-');
    const server = await startServer({ dataDir: dir, config: serverConfig(dir, fake), env: creds(KEY, SECRET) });
    try {
      await connected(server);
      const engine = await post(`${server.url}/api/engine/start`, { preset: 'btc_live', mode: 'live' });
      assert.equal(engine.status, 200, JSON.stringify(engine.body));
      const max = await maxRun(server, MAX_RUN);
      assert.equal(max.status, 200, JSON.stringify(max.body));
      const maxId = String(max.body.bot_id);
      assert.equal((max.body.config as Obj).broker, 'ccxt:binance');

      const filledEntry = (botId: string) => async () => (await account(server)).orders.find((o) => o.botId === botId && o.purpose === 'entry' && o.status === 'filled');
      const engineEntry = await waitFor('a filled seed 001 entry on binance', filledEntry('engine'), 120_000);
      const maxEntry = await waitFor('a filled Max entry on binance', filledEntry(maxId), 120_000);
      assert.equal(engineEntry.symbol, 'BTC/USDT');
      assert.equal(maxEntry.symbol, 'ETH/USDT');
      assert.equal(maxEntry.qty, 1);

      // Freeze the venue (no more prices: no stop or target can fill), stop both bots (the Max bot
      // closes its position at market, on the venue's book), then compare once the journal has
      // caught up with the venue.
      fake.control.stopAuto();
      assert.equal((await post(`${server.url}/api/v1/run-bot/max/${maxId}/stop`, {})).status, 200);
      assert.equal((await post(`${server.url}/api/engine/stop`, {})).status, 200);
      const tag = await agreeWithVenue(server, fake, KEY);

      const journal = (await account(server)).orders;
      const byId = new Map(journal.map((o) => [o.id, o]));
      // Every order request the venue saw was signed with the account's key (the fake checks the
      // HMAC and the timestamp; a bad one is a 4xx) and carries the client id of a journal order,
      // each id once: no order was sent twice.
      const sent = fake.control.requests({ method: 'POST', apiKey: KEY }).filter((r) => ORDER_PATHS.includes(r.path));
      assert.ok(sent.length >= 2, `order requests at the venue: ${sent.length}`);
      const ids = sent.map((r) => {
        assert.equal(r.status, 200, `${r.path} answered ${r.status} (code ${r.code})`);
        const m = new RegExp(`^tw${tag}\\.(.+)$`).exec(String(r.clientId));
        assert.ok(m, `client id ${r.clientId} is one Tradewind made`);
        assert.ok(byId.has(m[1] as string), `journal order ${m[1]} exists`);
        return m[1] as string;
      });
      assert.equal(new Set(ids).size, ids.length, 'each order sent once');
      for (const entry of [engineEntry, maxEntry]) assert.ok(ids.includes(entry.id), `entry ${entry.id} reached the venue`);
      // Both bots' orders: the engine's on BTCUSDT, the Max bot's on ETHUSDT, and nothing else on the account.
      const bots = new Set(ids.map((id) => byId.get(id)?.botId));
      assert.deepEqual([...bots].sort(), [maxId, 'engine'].sort());
      for (const id of ids) {
        const o = byId.get(id) as OrderView;
        assert.equal(o.symbol, o.botId === 'engine' ? 'BTC/USDT' : 'ETH/USDT');
      }
      // Each bot's entry came with its protective stop, a conditional order at the venue.
      for (const bot of ['engine', maxId]) {
        assert.ok(sent.some((r, i) => r.path === '/fapi/v1/algoOrder' && byId.get(ids[i] as string)?.botId === bot && byId.get(ids[i] as string)?.purpose === 'stop_loss'), `${bot}: a stop at the venue`);
      }
      // And the other way round: every journal order that is working or filled was sent, and the
      // venue's order under its client id has its quantity (filled: all of it, as the journal says).
      const venueOrders = new Map(fake.control.snapshot(KEY).orders.map((o) => [o.clientOrderId, o]));
      for (const o of journal.filter((j) => j.status !== 'rejected' && j.status !== 'cancelled')) {
        assert.ok(ids.includes(o.id) && o.brokerOrderId !== null, `${o.id} reached the venue: sent ${ids.includes(o.id)}, ${JSON.stringify(o)}`);
        if (o.type === 'stop') continue; // a conditional order: its triggered order has the venue's own client id
        const v = venueOrders.get(`tw${tag}.${o.id}`);
        assert.ok(v, `venue order of ${o.id}`);
        assert.equal(o.brokerOrderId, String(v.orderId), `${o.id}: the journal holds the venue's order id`);
        assert.equal(v.origQty, o.qty);
        assert.equal(v.executedQty, o.filledQty);
        if (o.status === 'filled') assert.equal(v.status, 'FILLED');
      }
      const paths = sent.reduce<Record<string, number>>((m, r) => ({ ...m, [r.path]: (m[r.path] ?? 0) + 1 }), {});
      t.diagnostic(`venue: ${JSON.stringify(paths)} order requests, ${fake.control.account(KEY).trades.length} trades, positions ${JSON.stringify(fake.control.snapshot(KEY).positions)}`);
      // The Max bot is flat on both sides after its stop.
      assert.ok(!fake.control.snapshot(KEY).positions.some((p) => p.symbol === 'ETHUSDT'), 'the Max bot closed its ETH position at the venue');
    } finally {
      await server.stop();
    }
  });

  it('a risk limit set low refuses every live entry of both bots; no order request reaches the venue', async () => {
    const other = fake.control.addAccount({ apiKey: KEY2, secret: SECRET2, balance: 10_000 });
    fake.control.startAuto(50);
    const dir = tempDir('tw-live-bots-risk-');
    // Gross exposure at most 1% of equity on this account: about 100 USDT, less than any entry.
    const config = serverConfig(dir, fake, { risk: { accounts: { binance: { maxGrossLeverage: 0.01 } } } });
    let server = await startServer({ dataDir: dir, config, env: creds(other.apiKey, other.secret) });
    try {
      await connected(server);
      assert.equal((await post(`${server.url}/api/engine/start`, { preset: 'btc_live', mode: 'live' })).status, 200);
      const max = await maxRun(server, MAX_RUN);
      assert.equal(max.status, 200, JSON.stringify(max.body));
      type Refusals = { total: number; by_code: Record<string, number>; by_source: Record<string, number>; by_account: Record<string, number> };
      const refusals = await waitFor(
        'entries of both bots refused on binance',
        async () => {
          const r = (await getJson<{ riskRefusals: Refusals }>(`${server.url}/api/engine/status`)).body.riskRefusals;
          return (r.by_source.bot ?? 0) > 0 && (r.by_source.max ?? 0) > 0 ? r : null;
        },
        120_000,
      );
      assert.equal(refusals.by_account.binance, refusals.total, 'all on the exchange account');
      assert.equal(refusals.by_code.gross_exposure, refusals.total, 'all for the gross exposure limit');
      // The venue saw the account connect and reconcile, and not one order.
      assert.ok(fake.control.requests({ apiKey: other.apiKey }).length > 0, 'the account talked to the venue');
      const orders = fake.control.requests({ method: 'POST', apiKey: other.apiKey }).filter((r) => ORDER_PATHS.includes(r.path));
      assert.deepEqual(orders, []);
      const snap = fake.control.snapshot(other.apiKey);
      assert.deepEqual([snap.orders.length, snap.openAlgoOrders.length, snap.trades, snap.positions.length], [0, 0, 0, 0]);
      // The risk engine refuses before the journal: no order row on the account at all.
      assert.deepEqual((await account(server)).orders, []);

      // After a restart the Max bot is back on the exchange account, with its ETH/USDT contract.
      const maxId = String(max.body.bot_id);
      await server.stop();
      server = await startServer({ dataDir: dir, config, env: creds(other.apiKey, other.secret) });
      const back = (await getJson<{ status: string; config: Obj }>(`${server.url}/api/v1/run-bot/max/${maxId}`)).body;
      assert.equal(back.status, 'running', JSON.stringify(back));
      assert.deepEqual([back.config.contract, back.config.broker], ['ETH/USDT', 'ccxt:binance']);

      // An account that no longer trades the bot's contract: the server still starts, says why the
      // bot did not come back, and the bot is not running.
      await server.stop();
      const btcOnly = join(dir, 'btc-only');
      mkdirSync(btcOnly);
      const narrowed = serverConfig(btcOnly, fake, {
        risk: { accounts: { binance: { maxGrossLeverage: 0.01 } } },
        accounts: [{ ...(ccxtAccountConfig(fake, { environment: 'mainnet', timeoutMs: 5000, recvWindowMs: 5000 }).accounts as Obj[])[0] }],
      });
      server = await startServer({ dataDir: dir, config: narrowed, env: creds(other.apiKey, other.secret) });
      await waitFor('the warning', async () => /Max bot max-\d+ not restarted: contract must be one of BTC\/USDT; got \\"ETH\/USDT\\"/.test(server.output()), 30_000);
      const gone = await getJson<{ status?: string }>(`${server.url}/api/v1/run-bot/max/${maxId}`);
      assert.notEqual(gone.body.status, 'running', JSON.stringify(gone.body));
    } finally {
      await server.stop();
    }
  });
});
