// Exchange (ccxt) accounts against the fake Binance USD-M venue, through the real ccxt client and
// a real running server: their orders and fills on the main /ws stream (a real WebSocket client),
// and seed 003's POST /api/env moving the Renko desk onto the mainnet account (LIVE), its entry
// reaching the venue's book through the risk engine, and refused without credentials.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakeBinance, type FakeBinance } from '../fake-binance/index.js';
import { ccxtAccountConfig, creds } from '../helpers/ccxt-account.js';
import { connectWs, fastConfig, getJson, startServer, tempDir, waitFor, type ServerHandle, type WsMessage } from '../helpers/server.js';

const KEY = 'DeskKey0123456789abcdef0123456789abcdef0123456789abcdef0123456789';
const SECRET = 'DeskSecretfedcba9876543210fedcba9876543210fedcba9876543210fedcba';
const TV_SECRET = 'tv-secret-desk-on-venue';
const BTC = 'BTC/USDT';

type Obj = Record<string, unknown>;
const post = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** A mainnet ccxt account on the fake, the desk trading BTC/USDT (1 contract per entry), TradingView its bar source. */
function deskOnVenueConfig(dir: string, fake: FakeBinance): string {
  return fastConfig(dir, {
    ...ccxtAccountConfig(fake, { environment: 'mainnet', startingBalance: 10_000_000, timeoutMs: 5000, recvWindowMs: 5000 }),
    // A TradingView asset is an instrument name: the desk's asset is BTC/USDT itself.
    tradingView: { assets: [BTC] },
    renkoDesk: { assets: { [BTC]: { symbol: BTC, contract: 'BTCUSDT' } }, sizes: { '6pt': 1, '9pt': 1 } },
  });
}

const deskState = async (server: ServerHandle) => (await getJson<Obj & { env: string; env_account: string; assets: Record<string, Obj> }>(`${server.url}/api/desk/state`)).body;
const accountSnapshot = async (server: ServerHandle) => (await getJson<{ positions: { symbol: string; side: string; qty: number }[]; orders: { id: string; status: string }[] }>(`${server.url}/api/accounts/binance`)).body;
const venuePosition = (fake: FakeBinance) => fake.control.snapshot(KEY).positions.find((p) => p.symbol === 'BTCUSDT')?.amt ?? 0;

describe('exchange accounts: /ws stream and the desk on LIVE', () => {
  let fake: FakeBinance;
  let server: ServerHandle;

  before(async () => {
    fake = await startFakeBinance({ replayBars: 3000, accounts: [{ apiKey: KEY, secret: SECRET, balance: 10_000_000 }] });
    const dir = tempDir();
    server = await startServer({ dataDir: dir, config: deskOnVenueConfig(dir, fake), env: { ...creds(KEY, SECRET), TV_WEBHOOK_SECRET: TV_SECRET } });
    await waitFor('the account connected', async () => (await getJson<{ accounts: { id: string; state: string }[] }>(`${server.url}/api/accounts`)).body.accounts.some((a) => a.id === 'binance' && a.state === 'connected'), 90_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${server.output().split('\n').filter((l) => /"level":(40|50)/.test(l)).slice(-10).join('\n')}`);
    });
  });
  after(async () => {
    await server?.stop();
    await fake?.close();
  });

  it("an exchange account's order and fill reach a WebSocket client on /ws (ORDER_PLACED, TRADE_EXECUTION, ORDER_FILLED with account_id)", async () => {
    const ws = await connectWs(`${server.url.replace(/^http/, 'ws')}/ws`);
    try {
      await waitFor('STATE_SNAPSHOT', async () => ws.messages.some((m) => m.type === 'STATE_SNAPSHOT'));
      const placed = await getJson<{ order: { id: string } }>(`${server.url}/api/accounts/binance/orders`, post({ symbol: BTC, side: 'buy', type: 'market', qty: 0.004, refPrice: fake.control.price('BTCUSDT') }));
      assert.equal(placed.status, 201, JSON.stringify(placed.body));
      const id = placed.body.order.id;
      const of = (type: string) => (m: WsMessage) => m.type === type && m.account_id === 'binance' && ((m.order as Obj | undefined)?.id === id || m.order_id === id);
      await waitFor('ORDER_PLACED, TRADE_EXECUTION and ORDER_FILLED on /ws', async () => ['ORDER_PLACED', 'TRADE_EXECUTION', 'ORDER_FILLED'].every((t) => ws.messages.some(of(t))));
      const trade = ws.messages.find(of('TRADE_EXECUTION')) as WsMessage;
      assert.deepEqual([trade.symbol, trade.direction, trade.lot], [BTC, 'BUY', 0.004]);
      // The fill is the venue's trade (its id carries the venue trade id), and the order is on the venue's book.
      const venueOrder = fake.control.snapshot(KEY).orders.find((o) => String(o.clientOrderId).endsWith(id));
      assert.ok(venueOrder, 'the order is at the venue');
      assert.match(String(trade.fill_id), /^binance:BTC\/USDT:\d+$/);
      assert.deepEqual((trade.data as Obj).order_id, id, 'seed 001 data carries it too');
      // Close it again (an exit), so the desk test below starts flat.
      const exit = await getJson(`${server.url}/api/accounts/binance/orders`, post({ symbol: BTC, side: 'sell', type: 'market', qty: 0.004, purpose: 'exit' }));
      assert.equal(exit.status, 201, JSON.stringify(exit.body));
      await waitFor('flat at the venue', async () => venuePosition(fake) === 0 && (await accountSnapshot(server)).positions.length === 0);
    } finally {
      ws.close();
    }
  });

  it('POST /api/env LIVE: the desk trades the mainnet ccxt account (its entry on the venue book through the risk engine); DEMO refused while a position is open, then back', async () => {
    const tv = async (path: string, body: Obj) => {
      const r = await getJson<Obj>(`${server.url}${path}`, post({ secret: TV_SECRET, ...body }));
      assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
    };
    const first = await deskState(server);
    assert.deepEqual([first.env, first.env_account], ['DEMO', 'renko']);
    const live = await getJson<Obj>(`${server.url}/api/env`, post({ env: 'LIVE' }));
    assert.equal(live.status, 200, JSON.stringify(live.body));
    assert.deepEqual([live.body.ok, live.body.env, live.body.account, live.body.broker], [true, 'LIVE', 'binance', 'ccxt:binance']);

    await tv('/tv_heartbeat', { symbol: BTC, price: fake.control.price('BTCUSDT'), timestamp: Math.floor(Date.now() / 1000) });
    await tv('/tv_renko_high', { asset: BTC, color: 'green', bar_id: 'h-1' });
    await tv('/tv_renko_macro', { asset: BTC, color: 'green', bar_id: 'm-1' });
    await tv('/tv_renko_main', { asset: BTC, color: 'green', bar_id: 'k-1' });
    const entry = await getJson<Obj & { order: Obj }>(`${server.url}/api/orders`, post({ asset: BTC, trade_mode: 'SCALP', order_type: 'market', entry_size_mode: '6pt' }));
    assert.equal(entry.status, 200, JSON.stringify(entry.body));
    assert.deepEqual([entry.body.order.symbol, entry.body.order.side, entry.body.order.qty, entry.body.order.env], ['BTCUSDT', 'BUY', 1, 'LIVE']);
    const id = String(entry.body.order.id);
    assert.match(id, /^binance-/, 'journaled on the exchange account');
    await waitFor('the entry on the venue book, filled', async () => fake.control.snapshot(KEY).orders.find((o) => String(o.clientOrderId).endsWith(id) && o.status === 'FILLED'));
    await waitFor('the desk sees the venue position', async () => ((await deskState(server)).assets[BTC]?.position as Obj | null)?.qty === 1);
    assert.equal(venuePosition(fake), 1);

    const back = await getJson<Obj>(`${server.url}/api/env`, post({ env: 'DEMO' }));
    assert.equal(back.status, 409, JSON.stringify(back.body));
    assert.match(String(back.body.error), /^DEMO REFUSED — BTC\/USDT has an open position or a pending order on binance: close it first; staying in LIVE$/);

    const exit = await getJson<Obj & { order: Obj }>(`${server.url}/api/exit`, post({ asset: BTC, force: true }));
    assert.equal(exit.status, 200, JSON.stringify(exit.body));
    await waitFor('flat at the venue and on the desk', async () => venuePosition(fake) === 0 && (await deskState(server)).assets[BTC]?.position === null && (await deskState(server)).assets[BTC]?.pending_order === null);
    const demo = await getJson<Obj>(`${server.url}/api/env`, post({ env: 'DEMO' }));
    assert.equal(demo.status, 200, JSON.stringify(demo.body));
    assert.deepEqual([demo.body.env, demo.body.account], ['DEMO', 'renko']);
  });

  it('without credentials LIVE is refused, naming what is missing; the desk stays in DEMO', async () => {
    const dir = tempDir();
    const bare = await startServer({ dataDir: dir, config: deskOnVenueConfig(dir, fake), env: { TV_WEBHOOK_SECRET: TV_SECRET } });
    try {
      const live = await getJson<Obj>(`${bare.url}/api/env`, post({ env: 'LIVE' }));
      assert.equal(live.status, 403, JSON.stringify(live.body));
      assert.equal(live.body.ok, false);
      assert.match(String(live.body.error), /^LIVE REFUSED — no mainnet exchange account with credentials; configured ccxt accounts with credentials: none\./);
      assert.match(String(live.body.error), /staying in DEMO$/);
      assert.equal((await deskState(bare)).env, 'DEMO');
    } finally {
      await bare.stop();
    }
  });
});
