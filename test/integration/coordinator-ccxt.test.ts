// `tradewind start` with the ensemble on and nothing else said about model servers: the
// supervisor runs them (modelServers.enabled 'auto'), as real `tradewind model-server` processes
// behind an API token, and the coordinator asks them (with that token) and trades on a ccxt
// account (binanceusdm against the loopback fake Binance venue, through the real ccxt client):
// its entry goes through that account's kernel to the venue, carrying our client order id.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakeBinance, type FakeBinance } from '../fake-binance/index.js';
import { binanceusdmUrls } from '../fake-binance/ccxt-options.js';
import { ccxtAccountConfig, creds } from '../helpers/ccxt-account.js';
import { freePorts } from '../helpers/model-server.js';
import { fastConfig, getJson, startServer, tempDir, waitFor, type ServerHandle } from '../helpers/server.js';

const KEY = 'TwTestKey0123456789abcdef0123456789abcdef0123456789abcdef0123456';
const SECRET = 'TwTestSecretfedcba9876543210fedcba9876543210fedcba9876543210fedc';
const MODEL_TOKEN = 'tw-model-token-0123456789abcdef';

interface OrderView { id: string; botId: string; status: string; side: string; purpose: string; stopPrice: number | null }
interface ModelView { name: string; online: boolean; process: string; last_error: string | null }

describe('coordinator on a ccxt account, asking the supervised model servers', () => {
  let fake: FakeBinance;
  let server: ServerHandle;
  let ports: number[];

  before(async () => {
    fake = await startFakeBinance({ replayBars: 3000, historyBars: 100, tickIntervalMs: 100, accounts: [{ apiKey: KEY, secret: SECRET, balance: 10_000 }] });
    ports = await freePorts(2);
    const dir = tempDir('tw-coord-ccxt-');
    const config = fastConfig(dir, {
      ...ccxtAccountConfig(fake, { timeoutMs: 5000 }),
      // An exchange account sees only the venue's prices: the live feed from the same venue.
      feed: { kind: 'ccxt', exchange: 'binanceusdm', symbols: { 'BTC/USDT': 'BTC/USDT:USDT' }, urls: binanceusdmUrls(fake), reconnectMinMs: 200 },
      // modelServers.enabled stays 'auto': the ensemble being on is what starts them.
      modelServers: { servers: ports.map((port, i) => ({ name: `model-${i + 1}`, port, model: '' })), token: MODEL_TOKEN, healthIntervalMs: 200 },
      trading: { account: 'binance', timeframe: '1s', position_size_fraction: 0.05 },
      ensemble: {
        enabled: true,
        confidence_threshold: 0,
        min_responding_models: 1,
        websocket_port: 0,
        metrics_port: 0,
        candles: 40,
        model_endpoints: ports.map((port, i) => ({ name: `model-${i + 1}`, host: '127.0.0.1', port, weight: 1, enabled: true })),
      },
      timing: { heartbeat_interval: 0.5, status_interval: 1, health_check_interval: 0.5, model_timeout: 5 },
      safety: { min_models_online: 1 },
    });
    server = await startServer({ dataDir: dir, config, env: creds(KEY, SECRET) });
  });

  after(async () => {
    await server?.stop();
    await fake?.close();
  });

  const dump = () => server.output().split('\n').filter((l) => /coordinator|ensemble|model-server|"level":[45]0/.test(l)).slice(-40).join('\n');

  it('the supervised model servers come online (the ensemble alone turned them on)', async () => {
    let last: unknown = null;
    const models = await waitFor('both model servers online', async () => {
      const m = (await getJson<{ models: ModelView[] }>(`${server.url}/api/ensemble/models`)).body.models;
      last = m;
      return m.length === 2 && m.every((x) => x.online && x.process === 'running') ? m : null;
    }, 90_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(last)}\n${dump()}`);
    });
    assert.deepEqual(models.map((m) => m.name), ['model-1', 'model-2']);
    // Behind the token, /predict refuses a caller without it.
    const res = await fetch(`http://127.0.0.1:${ports[0]}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ candles: [{ open: 1, high: 1, low: 1, close: 1, volume: 1 }] }) });
    assert.equal(res.status, 401);
  });

  it("the coordinator's entry goes through the ccxt account's kernel to the venue, with stop and target", async () => {
    // Entries sent while the account was still connecting are refused by it (and do not block the
    // coordinator); once connected, one reaches the venue and fills.
    await waitFor('the binance account connected', async () => (await getJson<{ accounts: { id: string; state: string }[] }>(`${server.url}/api/accounts`)).body.accounts.find((a) => a.id === 'binance' && a.state === 'connected'), 120_000);
    const orders = async () => (await getJson<OrderView[]>(`${server.url}/api/orders?account=binance&limit=500`)).body;
    const filled = await waitFor('an ensemble entry filled at the venue', async () => (await orders()).find((o) => o.botId === 'ensemble' && o.purpose === 'entry' && o.status === 'filled'), 120_000).catch(async (e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify((await orders()).slice(0, 4))}\n${dump()}`);
    });
    const entry = filled;
    assert.equal(filled.botId, 'ensemble');
    // Exactly one venue order carries its client order id (sent once, never doubled).
    const atVenue = fake.control.snapshot(KEY).orders.filter((o) => String(o.clientOrderId).endsWith(entry.id));
    assert.equal(atVenue.length, 1);
    // Its protective stop follows the fill, on the same account.
    const stop = await waitFor('the protective stop', async () => (await getJson<OrderView[]>(`${server.url}/api/orders?account=binance`)).body.find((o) => o.botId === 'ensemble' && o.purpose === 'stop_loss'), 30_000);
    assert.ok(stop.stopPrice !== null && stop.stopPrice > 0);
    // The paper account saw none of it.
    const paper = (await getJson<OrderView[]>(`${server.url}/api/orders`)).body.filter((o) => o.botId === 'ensemble');
    assert.equal(paper.length, 0);
  });
});
