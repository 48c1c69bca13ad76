// Live modes on a configured exchange account (ccxt, against the fake Binance venue): seed 001
// `mode: live` and seed 002 Max `environment: LIVE` pick it when its credentials exist, and are
// refused with a clear message when they do not, when it does not trade the run's symbols, or
// when the market data is the simulated feed (an exchange account's bots would never see a
// price). Paper stays the default. Live bots trading on the venue: ccxt-live-bots.test.ts.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFakeBinance, type FakeBinance } from '../fake-binance/index.js';
import { ccxtAccountConfig, creds } from '../helpers/ccxt-account.js';
import { fastConfig, getJson, repoRoot, startServer, tempDir, waitFor, type ServerHandle } from '../helpers/server.js';

const KEY = 'LiveKey0123456789abcdef0123456789abcdef0123456789abcdef012345678';
const SECRET = 'LiveSecretfedcba9876543210fedcba9876543210fedcba9876543210fedcba';

function presetsDir(dir: string): string {
  const out = join(dir, 'presets');
  mkdirSync(out, { recursive: true });
  copyFileSync(join(repoRoot, 'presets', 'breakout_v1.json'), join(out, 'breakout_v1.json'));
  const crypto = JSON.parse(readFileSync(join(repoRoot, 'presets', 'breakout_v1.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(out, 'crypto_live.json'), JSON.stringify({ ...crypto, name: 'crypto_live', symbols: ['BTC/USDT'] }));
  return out;
}

const startEngine = (server: ServerHandle, body: unknown) =>
  getJson<{ detail?: string; message?: string }>(`${server.url}/api/engine/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const maxRun = (server: ServerHandle, fields: Record<string, string>) => {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  return getJson<{ detail?: string; config?: Record<string, unknown> }>(`${server.url}/api/v1/run-bot/max`, { method: 'POST', body: f });
};
const run = { accountName: 'binance', contract: 'NQ', trading_mode: 'both', trading_side: 'both', quantity: '1', environment: 'LIVE', accounts_ids: '["binance"]' };

describe('live modes on a ccxt account', () => {
  let fake: FakeBinance;
  before(async () => {
    fake = await startFakeBinance({ replayBars: 300, accounts: [{ apiKey: KEY, secret: SECRET }] });
  });
  after(async () => fake?.close());

  it('with credentials: seed 001 live and Max LIVE pick the mainnet account (its instruments only) and refuse to trade it on simulated prices', async () => {
    const dir = tempDir();
    // Request timeouts that a loaded 2-core machine meets (the fake shares this test's process).
    const config = fastConfig(dir, { ...ccxtAccountConfig(fake, { environment: 'mainnet', timeoutMs: 5000, recvWindowMs: 5000 }), presetsDir: presetsDir(dir) });
    const server = await startServer({ dataDir: dir, config, env: creds(KEY, SECRET) });
    try {
      await waitFor('connected', async () => (await getJson<{ accounts: { id: string; state: string }[] }>(`${server.url}/api/accounts`)).body.accounts.some((a) => a.id === 'binance' && a.state === 'connected'), 90_000);
      const wrong = await startEngine(server, { preset: 'breakout_v1', mode: 'live' });
      assert.equal(wrong.status, 400);
      assert.match(String(wrong.body.detail), /account binance does not trade ETH\/USDT, ES, NQ/);
      // The simulated feed prices paper accounts only: a live run there would never see a bar.
      const live = await startEngine(server, { preset: 'crypto_live', mode: 'live' });
      assert.equal(live.status, 400, JSON.stringify(live.body));
      assert.match(String(live.body.detail), /Live mode refused: account binance gets no market data for BTC\/USDT: .*feed\.kind ccxt/);
      // Paper stays the default.
      const paper = await startEngine(server, { preset: 'crypto_live', mode: 'paper' });
      assert.equal(paper.status, 200);
      assert.doesNotMatch(String(paper.body.message), /on account/);
      await getJson(`${server.url}/api/engine/stop`, { method: 'POST' });

      const max = await maxRun(server, run);
      assert.equal(max.status, 400);
      assert.match(String(max.body.detail), /LIVE refused: account binance does not trade NQ \(it trades BTC\/USDT\)/);
      const btc = await maxRun(server, { ...run, contract: 'BTC/USDT' });
      assert.equal(btc.status, 400);
      assert.match(String(btc.body.detail), /LIVE refused: account binance gets no market data for BTC\/USDT/);
      const demo = await maxRun(server, { ...run, environment: 'DEMO', accounts_ids: '[{"tv_id":"D1","ta_id":"PA1"}]' });
      assert.equal(demo.status, 200, JSON.stringify(demo.body));
      assert.equal(demo.body.config?.broker, 'paper');
    } finally {
      await server.stop();
    }
  });

  it('without credentials: live and LIVE are refused, naming what is missing', async () => {
    const dir = tempDir();
    const config = fastConfig(dir, { ...ccxtAccountConfig(fake, { environment: 'mainnet' }), presetsDir: presetsDir(dir) });
    const server = await startServer({ dataDir: dir, config });
    try {
      const live = await startEngine(server, { preset: 'crypto_live', mode: 'live' });
      assert.equal(live.status, 400);
      assert.match(String(live.body.detail), /Live mode refused: no mainnet exchange account with credentials/);
      const max = await maxRun(server, run);
      assert.equal(max.status, 400);
      assert.match(String(max.body.detail), /LIVE refused: no mainnet exchange account with credentials/);
    } finally {
      await server.stop();
    }
  });
});
