// A server with a ccxt account (binanceusdm) against the loopback fake Binance venue, through
// the real ccxt client: the order lifecycle, lost answers, fills twice, a venue restart, wrong
// credentials and secrets kept out of logs and answers.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import ccxt from 'ccxt';
import { binanceusdmOptions } from '../fake-binance/ccxt-options.js';
import { after, before, describe, it } from 'node:test';
import { startFakeBinance, type FakeBinance } from '../fake-binance/index.js';
import { nextPrice } from '../fake-binance/testing.js';
import { ccxtAccountConfig, creds } from '../helpers/ccxt-account.js';
import { fastConfig, getJson, repoRoot, startServer, tempDir, waitFor, type ServerHandle } from '../helpers/server.js';

const KEY = 'TwTestKey0123456789abcdef0123456789abcdef0123456789abcdef0123456';
const SECRET = 'TwTestSecretfedcba9876543210fedcba9876543210fedcba9876543210fedc';
const BTC = 'BTC/USDT';

interface OrderView { id: string; status: string; filledQty: number; qty: number; brokerOrderId: string | null; reason: string | null; type: string }
interface Snapshot { account: { balance: number }; positions: { symbol: string; side: string; qty: number }[]; orders: OrderView[]; fills: { id: string; orderId: string; qty: number }[] }

async function accountState(server: ServerHandle, id = 'binance'): Promise<string> {
  const { body } = await getJson<{ accounts: { id: string; state: string; detail: string }[] }>(`${server.url}/api/accounts`);
  return body.accounts.find((a) => a.id === id)?.state ?? 'absent';
}

const snapshot = async (server: ServerHandle) => (await getJson<Snapshot>(`${server.url}/api/accounts/binance`)).body;
const post = (server: ServerHandle, body: unknown) =>
  getJson<{ order: OrderView; detail?: string }>(`${server.url}/api/accounts/binance/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('ccxt account against the fake Binance USD-M venue', () => {
  let fake: FakeBinance;
  let server: ServerHandle;

  before(async () => {
    fake = await startFakeBinance({ replayBars: 3000, accounts: [{ apiKey: KEY, secret: SECRET, balance: 10_000 }] });
    const dir = tempDir();
    server = await startServer({ dataDir: dir, config: fastConfig(dir, ccxtAccountConfig(fake)), env: creds(KEY, SECRET) });
    await waitFor('the account connected', async () => (await accountState(server)) === 'connected', 90_000);
  });
  after(async () => {
    await server?.stop();
    await fake?.close();
  });

  it('sets leverage and margin type per instrument when it connects', async () => {
    const paths = fake.control.requests().filter((r) => r.method === 'POST').map((r) => r.path);
    assert.ok(paths.includes('/fapi/v1/leverage'), paths.join(','));
    assert.ok(paths.includes('/fapi/v1/marginType'), paths.join(','));
    const leverage = fake.control.requests({ method: 'POST', path: '/fapi/v1/leverage', apiKey: KEY });
    assert.ok(leverage.some((r) => r.status === 200));
  });

  it('market, limit and stop orders: journaled first, sent with our client id, filled by trade id', async () => {
    const price = fake.control.price('BTCUSDT');
    const buy = await post(server, { symbol: BTC, side: 'buy', type: 'market', qty: 0.004, refPrice: price });
    assert.equal(buy.status, 201, JSON.stringify(buy.body));
    const id = buy.body.order.id;
    const filled = await waitFor('the market order filled', async () => (await snapshot(server)).orders.find((o) => o.id === id && o.status === 'filled'));
    assert.equal(filled.filledQty, 0.004);
    const venueOrders = fake.control.snapshot(KEY).orders;
    const mine = venueOrders.filter((o) => String(o.clientOrderId).endsWith(id));
    assert.equal(mine.length, 1, 'exactly one venue order for it');
    const snap = await snapshot(server);
    assert.deepEqual(snap.positions.map((p) => [p.symbol, p.side, p.qty]), [[BTC, 'long', 0.004]]);

    // A resting limit below the market fills when the replay reaches it.
    const below = nextPrice(fake.control, 'BTCUSDT', 'below');
    const limit = await post(server, { symbol: BTC, side: 'buy', type: 'limit', qty: 0.002, price: below.price });
    assert.equal(limit.status, 201, JSON.stringify(limit.body));
    await waitFor('the limit accepted', async () => (await snapshot(server)).orders.find((o) => o.id === limit.body.order.id && o.status === 'accepted'));
    fake.control.step(below.ticks);
    await waitFor('the limit filled', async () => (await snapshot(server)).orders.find((o) => o.id === limit.body.order.id && o.status === 'filled'));

    // A stop exit far below: an algo order at the venue, cancelled through the API.
    const stop = await post(server, { symbol: BTC, side: 'sell', type: 'stop', qty: 0.006, stopPrice: Math.round(fake.control.price('BTCUSDT') * 0.5), purpose: 'exit' });
    assert.equal(stop.status, 201, JSON.stringify(stop.body));
    await waitFor('the stop accepted', async () => (await snapshot(server)).orders.find((o) => o.id === stop.body.order.id && o.status === 'accepted'));
    assert.equal(fake.control.snapshot(KEY).openAlgoOrders.filter((o) => String(o.clientAlgoId).endsWith(stop.body.order.id)).length, 1);
    const cancel = await getJson(`${server.url}/api/accounts/binance/orders/${stop.body.order.id}`, { method: 'DELETE' });
    assert.equal(cancel.status, 200);
    await waitFor('the stop cancelled', async () => (await snapshot(server)).orders.find((o) => o.id === stop.body.order.id && o.status === 'cancelled'));

    // Every venue trade of ours is in the journal exactly once.
    const s = await snapshot(server);
    const fillIds = s.fills.map((f) => f.id);
    assert.equal(new Set(fillIds).size, fillIds.length);
    const qty = s.fills.reduce((a, f) => a + f.qty, 0);
    assert.ok(Math.abs(qty - 0.006) < 1e-9, `fills ${qty}`);
  });

  it('a dropped answer: the order stays in flight, is found by client id, exactly one at the venue', async () => {
    fake.control.dropAnswer({ method: 'POST', path: '/fapi/v1/order', apiKey: KEY }, 1);
    const r = await post(server, { symbol: BTC, side: 'sell', type: 'market', qty: 0.002, purpose: 'exit' });
    assert.equal(r.status, 201);
    const id = r.body.order.id;
    const o = await waitFor('the lost order resolved', async () => (await snapshot(server)).orders.find((x) => x.id === id && x.status === 'filled'), 30_000);
    assert.equal(o.filledQty, 0.002);
    const posts = fake.control.requests({ method: 'POST', path: '/fapi/v1/order', apiKey: KEY }).filter((q) => String(q.clientId ?? '').endsWith(id));
    assert.equal(posts.length, 1, 'sent once, never again');
    assert.equal(fake.control.snapshot(KEY).orders.filter((x) => String(x.clientOrderId).endsWith(id)).length, 1);
  });

  it('a cut before the venue saw it: found absent once the request window passed, closed as rejected (not re-sent)', async () => {
    fake.control.fault({ kind: 'drop', phase: 'before', match: { method: 'POST', path: '/fapi/v1/order', apiKey: KEY } });
    const r = await post(server, { symbol: BTC, side: 'sell', type: 'market', qty: 0.001, purpose: 'exit' });
    const id = r.body.order.id;
    const o = await waitFor('the order closed', async () => (await snapshot(server)).orders.find((x) => x.id === id && x.status === 'rejected'), 30_000);
    assert.match(o.reason ?? '', /never arrived/);
    assert.equal(fake.control.snapshot(KEY).orders.filter((x) => String(x.clientOrderId).endsWith(id)).length, 0);
  });

  it('fills arriving twice on the user stream are applied once', async () => {
    fake.control.duplicateFills(4, KEY);
    const before = await snapshot(server);
    const r = await post(server, { symbol: BTC, side: 'buy', type: 'market', qty: 0.003, refPrice: fake.control.price('BTCUSDT') });
    const id = r.body.order.id;
    await waitFor('filled', async () => (await snapshot(server)).orders.find((x) => x.id === id && x.status === 'filled'));
    const after = await snapshot(server);
    const mine = after.fills.filter((f) => f.orderId === id);
    assert.ok(Math.abs(mine.reduce((a, f) => a + f.qty, 0) - 0.003) < 1e-9);
    const long = (s: Snapshot) => s.positions.find((p) => p.symbol === BTC)?.qty ?? 0;
    assert.ok(Math.abs(long(after) - long(before) - 0.003) < 1e-9);
  });

  it('a venue restart: the stream drops, the account reconnects and reconciles; a fill made while away is applied once', async () => {
    const below = nextPrice(fake.control, 'BTCUSDT', 'below');
    const r = await post(server, { symbol: BTC, side: 'buy', type: 'limit', qty: 0.002, price: below.price });
    const id = r.body.order.id;
    await waitFor('accepted', async () => (await snapshot(server)).orders.find((x) => x.id === id && x.status === 'accepted'));
    await fake.control.goDown();
    fake.control.step(below.ticks); // fills while nobody can hear it
    await fake.control.comeBack();
    const o = await waitFor('the fill found after the restart', async () => (await snapshot(server)).orders.find((x) => x.id === id && x.status === 'filled'), 60_000);
    assert.equal(o.filledQty, 0.002);
    const s = await snapshot(server);
    assert.equal(s.fills.filter((f) => f.orderId === id).length, s.fills.filter((f) => f.orderId === id).map((f) => f.id).filter((v, i, a) => a.indexOf(v) === i).length);
    const venuePos = fake.control.snapshot(KEY).positions.find((p) => p.symbol === 'BTCUSDT');
    const journalPos = s.positions.find((p) => p.symbol === BTC);
    assert.ok(Math.abs(Number(venuePos?.amt ?? 0) - (journalPos?.side === 'short' ? -1 : 1) * (journalPos?.qty ?? 0)) < 1e-9, `venue ${JSON.stringify(venuePos)} journal ${JSON.stringify(journalPos)}`);
  });

  it('an order placed at the venue by someone else is reported by the periodic reconciliation, never taken as ours', async () => {
    const other = new ccxt.binanceusdm(binanceusdmOptions(fake, { apiKey: KEY, secret: SECRET }));
    try {
      const placed = await other.createOrder('BTC/USDT:USDT', 'limit', 'buy', 0.002, Math.round(fake.control.price('BTCUSDT') * 0.8), { clientOrderId: 'foreign-1' });
      const alert = await waitFor('the unknown order reported', async () => {
        const { body } = await getJson<{ events: { type: string; kind?: string; difference?: { venueOrderId?: string; action?: string } }[] }>(`${server.url}/api/state`);
        return body.events.find((e) => e.kind === 'venue-unknown-order' && e.difference?.venueOrderId === String(placed.id));
      }, 30_000);
      assert.equal(alert.difference?.action, 'reported');
      assert.ok(!(await snapshot(server)).orders.some((o) => o.brokerOrderId === String(placed.id)));
      await other.cancelOrder(String(placed.id), 'BTC/USDT:USDT');
    } finally {
      await other.close();
    }
  });

  it('seed 002 trading API lists the ccxt account with its positions and balance', async () => {
    const accounts = await getJson<{ accounts: { id: string; type: string; connection: string }[] }>(`${server.url}/api/v1/trading/accounts?use_cache=false`);
    assert.equal(accounts.status, 200);
    assert.deepEqual(accounts.body.accounts.filter((a) => a.id === "binance").map((a) => [a.type, a.connection]), [["ccxt", "connected"]], JSON.stringify(accounts.body));
    const positions = await getJson<{ positions: { account_id?: string; accountId?: string }[] }>(`${server.url}/api/v1/trading/positions?account_ids=binance&use_cache=false`);
    assert.equal(positions.status, 200, JSON.stringify(positions.body));
    const venue = (await snapshot(server)).positions;
    assert.equal(positions.body.positions.length, venue.length, 'the same open positions as the account snapshot');
    const balances = await getJson<{ balances: { account_id: string }[] }>(`${server.url}/api/v1/trading/balances?account_ids=binance&use_cache=false`);
    assert.equal(balances.status, 200, JSON.stringify(balances.body));
    assert.deepEqual(balances.body.balances.map((b) => b.account_id), ['binance']);
  });

  it('no secret in the logs or in any answer', async () => {
    const bodies = [await fetch(`${server.url}/api/accounts`).then((r) => r.text()), await fetch(`${server.url}/api/accounts/binance`).then((r) => r.text()), await fetch(`${server.url}/api/v1/trading/batch/snapshot`).then((r) => r.text()), await fetch(`${server.url}/api/logs?limit=1000`).then((r) => r.text())];
    for (const text of [...bodies, server.output()]) {
      assert.ok(!text.includes(KEY), 'API key leaked');
      assert.ok(!text.includes(SECRET), 'secret leaked');
    }
  });
});

describe('ccxt account: wrong credentials and missing ones', () => {
  let fake: FakeBinance;
  before(async () => {
    fake = await startFakeBinance({ replayBars: 200, accounts: [{ apiKey: KEY, secret: SECRET }] });
  });
  after(async () => fake?.close());

  it('a wrong secret: auth-failed with a clear message, no retry storm, orders refused, the secret nowhere', async () => {
    const dir = tempDir();
    const wrong = 'WrongSecret00000000000000000000000000000000000000000000000000000';
    const server = await startServer({ dataDir: dir, config: fastConfig(dir, ccxtAccountConfig(fake)), env: creds(KEY, wrong) });
    try {
      await waitFor('auth failed', async () => (await accountState(server)) === 'auth-failed');
      const { body } = await getJson<{ accounts: { id: string; detail: string }[] }>(`${server.url}/api/accounts`);
      assert.match(body.accounts.find((a) => a.id === 'binance')?.detail ?? '', /refused the credentials/);
      const signed = fake.control.requests({ apiKey: KEY }).filter((r) => r.status !== 200);
      assert.ok(signed.length >= 1 && signed.length <= 2, `refused requests: ${signed.length}`);
      const r = await post(server, { symbol: BTC, side: 'buy', type: 'market', qty: 0.001, refPrice: 90_000 });
      assert.equal(r.status, 503);
      assert.match(r.body.detail ?? '', /not connected/);
      assert.equal(fake.control.requests({ apiKey: KEY }).filter((q) => q.status !== 200).length, signed.length, 'no further attempts');
      assert.ok(!server.output().includes(wrong));
      assert.ok(!JSON.stringify(body).includes(wrong));
    } finally {
      await server.stop();
    }
  });

  it('tradewind accounts lists every account with its connection state, never a secret', async () => {
    const dir = tempDir();
    const config = fastConfig(dir, { ...ccxtAccountConfig(fake), accounts: [...(ccxtAccountConfig(fake).accounts as unknown[]), { id: 'paper2', kind: 'paper', startingBalance: 500 }] });
    const run = (env: Record<string, string>) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const p = spawn(process.execPath, [join(repoRoot, 'bin', 'tradewind.js'), 'accounts', '--config', config, '--json'], { env: { ...process.env, ...env } });
        let out = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        p.stderr.on('data', (d: Buffer) => (out += d.toString()));
        p.on('exit', (code) => resolve({ code, out }));
      });
    const ok = await run(creds(KEY, SECRET));
    assert.equal(ok.code, 0, ok.out);
    const list = (JSON.parse(ok.out) as { accounts: { id: string; kind: string; state: string }[] }).accounts;
    assert.deepEqual(list.map((a) => [a.id, a.kind, a.state]), [['paper', 'paper', 'ready'], ['binance', 'ccxt', 'connected'], ['paper2', 'paper', 'ready']]);
    const wrong = 'WrongSecretForTheCli0000000000000000000000000000000000000000000';
    const bad = await run(creds(KEY, wrong));
    assert.equal((JSON.parse(bad.out) as { accounts: { id: string; state: string }[] }).accounts.find((a) => a.id === 'binance')?.state, 'auth-failed');
    for (const text of [ok.out, bad.out]) assert.ok(!text.includes(SECRET) && !text.includes(wrong) && !text.includes(KEY));
  });

  it('without the environment variables: no-credentials naming them, the server still starts', async () => {
    const dir = tempDir();
    const server = await startServer({ dataDir: dir, config: fastConfig(dir, ccxtAccountConfig(fake)) });
    try {
      await waitFor('no-credentials', async () => (await accountState(server)) === 'no-credentials');
      const { body } = await getJson<{ accounts: { id: string; detail: string; credentialEnv: string[] }[] }>(`${server.url}/api/accounts`);
      const a = body.accounts.find((x) => x.id === 'binance');
      assert.match(a?.detail ?? '', /TW_TEST_BINANCE_KEY/);
    } finally {
      await server.stop();
    }
  });
});
