// SIGKILL of the server with orders in flight at a ccxt account: the fake venue runs in its own
// process (it outlives the server); the restarted server reconciles to the venue's books, and
// nothing is doubled (each order once at the venue, each fill once in the journal).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { binanceusdmUrls } from '../fake-binance/ccxt-options.js';
import { fastConfig, getJson, repoRoot, startServer, tempDir, waitFor, type ServerHandle } from '../helpers/server.js';
import { ccxtAccountConfig, creds } from '../helpers/ccxt-account.js';

const KEY = 'CrashKey0123456789abcdef0123456789abcdef0123456789abcdef01234567';
const SECRET = 'CrashSecretfedcba9876543210fedcba9876543210fedcba9876543210fedcb';
const BTC = 'BTC/USDT';

interface VenueState { positions: { symbol: string; amt: number }[]; openOrders: { clientOrderId: string; status: string }[]; orders: { clientOrderId: string; status: string; executedQty: string }[]; trades: number }
interface OrderRow { id: string; status: string; filledQty: number; qty: number }

async function startFakeProcess(): Promise<{ proc: ChildProcess; url: string; wsUrl: string }> {
  const proc = spawn(process.execPath, [join(repoRoot, 'dist', 'test', 'fake-binance', 'cli.js'), '--api-key', KEY, '--secret', SECRET], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stderr?.resume(); // not inherited: a venue outliving a timed-out test must not hold the runner's stderr
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0] as string);
    });
    proc.once('exit', (code) => reject(new Error(`fake exited with ${code}`)));
  });
  const { url, wsUrl } = JSON.parse(line) as { url: string; wsUrl: string };
  return { proc, url, wsUrl };
}

describe('ccxt account: SIGKILL with orders in flight', () => {
  let fake: { proc: ChildProcess; url: string; wsUrl: string };
  const control = (path: string, body?: unknown) =>
    fetch(`${fake.url}/__control/${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json() as Promise<unknown>);
  const venue = () => control(`state?apiKey=${KEY}`) as Promise<VenueState>;
  const price = async () => Number(((await (await fetch(`${fake.url}/fapi/v1/ticker/price?symbol=BTCUSDT`)).json()) as { price: string }).price);

  before(async () => {
    fake = await startFakeProcess();
  });
  after(() => {
    fake?.proc.kill('SIGTERM');
  });

  it('the restarted server finds every in-flight order by client id and applies each fill once', async () => {
    const dir = tempDir();
    const config = fastConfig(dir, ccxtAccountConfig({ url: fake.url, wsUrl: fake.wsUrl }, { urls: binanceusdmUrls(fake), recvWindowMs: 3000 }));
    let server: ServerHandle = await startServer({ dataDir: dir, config, env: creds(KEY, SECRET) });
    const state = async () => (await getJson<{ accounts: { id: string; state: string }[] }>(`${server.url}/api/accounts`)).body.accounts.find((a) => a.id === 'binance')?.state;
    await waitFor('connected', async () => (await state()) === 'connected', 120_000);

    // Every order is booked by the venue but its answer held back: all three stay in flight.
    await control('fault', { kind: 'latency', ms: 60_000, phase: 'after', match: { method: 'POST', path: '/fapi/v1/order', apiKey: KEY }, times: 3 });
    const p0 = await price();
    const place = (body: unknown) => getJson<{ order: OrderRow }>(`${server.url}/api/accounts/binance/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const a = (await place({ symbol: BTC, side: 'buy', type: 'market', qty: 0.003, refPrice: p0 })).body.order;
    const b = (await place({ symbol: BTC, side: 'buy', type: 'market', qty: 0.002, refPrice: p0 })).body.order;
    const limitPrice = Math.round(p0 * 0.99 * 10) / 10;
    const c = (await place({ symbol: BTC, side: 'buy', type: 'limit', qty: 0.002, price: limitPrice })).body.order;
    const ids = [a.id, b.id, c.id];
    await waitFor('all three booked at the venue', async () => (await venue()).orders.filter((o) => ids.some((id) => o.clientOrderId.endsWith(id))).length === 3);
    await server.kill9();

    // While the server is down: the answers never come, and the resting limit fills.
    await fetch(`${fake.url}/__control/faults`, { method: 'DELETE' });
    await control('tick', { symbol: 'BTCUSDT', price: Math.round(p0 * 0.98 * 10) / 10 });
    const before = await venue();
    assert.equal(before.openOrders.length, 0, 'the limit filled at the venue');

    server = await startServer({ dataDir: dir, config, env: creds(KEY, SECRET) });
    try {
      await waitFor('connected again', async () => (await state()) === 'connected', 120_000);
      const journal = await waitFor('every order settled from the venue', async () => {
        const orders = (await getJson<{ orders: OrderRow[] }>(`${server.url}/api/accounts/binance`)).body.orders.filter((o) => ids.includes(o.id));
        return orders.length === 3 && orders.every((o) => o.status === 'filled') ? orders : null;
      }, 60_000);
      assert.deepEqual(journal.map((o) => o.filledQty).sort(), [0.002, 0.002, 0.003]);

      const after = await venue();
      for (const id of ids) assert.equal(after.orders.filter((o) => o.clientOrderId.endsWith(id)).length, 1, `order ${id} once at the venue`);
      assert.equal(after.orders.length, 3, 'nothing re-sent');
      // The journal (the SQLite file itself) against the venue's books.
      const db = new Database(join(dir, 'tradewind.db'), { readonly: true });
      try {
        const fills = db.prepare(`SELECT id, data FROM fills WHERE account_id = 'binance'`).all() as { id: string; data: string }[];
        assert.equal(fills.length, after.trades, 'one journal fill per venue trade');
        const qty = fills.reduce((s, f) => s + (JSON.parse(f.data) as { qty: number }).qty, 0);
        const venueQty = after.positions.find((p) => p.symbol === 'BTCUSDT')?.amt ?? 0;
        assert.ok(Math.abs(qty - venueQty) < 1e-9, `journal ${qty} venue ${venueQty}`);
      } finally {
        db.close();
      }
    } finally {
      await server.stop();
    }
  });
});
