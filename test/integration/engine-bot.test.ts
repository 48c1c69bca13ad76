import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { connectWs, fastConfig, getJson, repoRoot, startServer, tempDir, waitFor } from '../helpers/server.js';

type Obj = Record<string, unknown>;

/** breakout_v1 scaled down to 200 ms bars so a run takes seconds, with permissive filters. */
function fastPreset(dir: string): void {
  const p = JSON.parse(readFileSync(join(repoRoot, 'presets', 'breakout_v1.json'), 'utf8')) as Obj;
  Object.assign(p, {
    name: 'fast_breakout',
    bar_interval_ms: 200,
    liquidity_filters: { min_24h_volume_usd: 0, min_trades_per_minute: 0 },
    volatility_filters: { atr_min_pct: 0, atr_max_pct: 0.5, volume_surge_min: 0 },
    scanner_config: { max_candidates: 4, min_history_bars: 12, score_weights: { vol_surge: 0.5, momentum: 0.5 } },
    levels: { lookback_bars: 30, min_touches: 1, tolerance_atr: 1 },
    signal_config: { breakout_buffer_atr: 0, min_volume_ratio: 0, allow_short: true },
    position_config: { stop_buffer_atr: 1, take_profit_r: 3, max_hold_bars: 15 },
  });
  writeFileSync(join(dir, 'fast_breakout.json'), JSON.stringify(p));
}

describe('the engine bot at work (seed 001)', () => {
  it('passes through SCANNING, LEVEL_BUILDING, SIGNAL_WAIT, SIZING, EXECUTION and MANAGING, and opens and closes paper positions from scanner candidates', async () => {
    const dataDir = tempDir();
    const presetsDir = tempDir('tw-presets-');
    fastPreset(presetsDir);
    const server = await startServer({
      dataDir,
      config: fastConfig(dataDir, { demoBot: { enabled: false } }),
      env: { TRADEWIND_PRESETS_DIR: presetsDir },
    });
    const ws = await connectWs(server.wsUrl);
    try {
      const started = await getJson<Obj>(`${server.url}/api/engine/start`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ preset: 'fast_breakout', mode: 'paper' }),
      });
      assert.equal(started.status, 200, JSON.stringify(started.body));
      const states = () => ws.messages.filter((m) => m.type === 'ENGINE_UPDATE').map((m) => m.state as string);
      const wanted = ['SCANNING', 'LEVEL_BUILDING', 'SIGNAL_WAIT', 'SIZING', 'EXECUTION', 'MANAGING'];
      await waitFor(`states ${wanted.join(', ')} (seen: ${states().join(' ')})`, async () => wanted.every((s) => states().includes(s)), 90_000);
      // In order: each phase of a trade follows the one before it.
      const seq = states();
      const sizing = seq.indexOf('SIZING');
      assert.ok(seq.indexOf('SIGNAL_WAIT') < sizing && sizing < seq.indexOf('EXECUTION', sizing) && seq.indexOf('EXECUTION', sizing) < seq.indexOf('MANAGING', sizing));

      const opened = await waitFor('a position opened by the engine bot', async () =>
        ws.messages.find((m) => m.type === 'POSITION_OPENED' && (m.position as Obj).mode === 'momentum'),
      );
      const position = opened.position as Obj;
      const candidates = ws.messages.filter((m) => m.type === 'SCAN_RESULT').flatMap((m) => (m.candidates as Obj[]).map((c) => c.symbol));
      assert.ok(candidates.includes(position.symbol), `${String(position.symbol)} was a scanner candidate`);
      assert.equal(typeof position.sl, 'number', 'entered with a stop');
      const closed = await waitFor('the position closed (stop, target or max hold)', async () =>
        ws.messages.find((m) => m.type === 'POSITION_CLOSED' && m.position_id === position.id), 60_000,
      );
      assert.equal(typeof closed.pnlUsd, 'number');
      const status = (await getJson<Obj>(`${server.url}/api/engine/status`)).body;
      assert.equal(status.preset, 'fast_breakout');
      assert.equal(typeof status.dailyR, 'number');
      const orders = (await getJson<Obj[]>(`${server.url}/api/orders?limit=1000`)).body;
      assert.ok(orders.some((o) => o.botId === 'engine' && o.status === 'filled'), 'engine orders are listed');
    } finally {
      ws.close();
      await server.stop();
    }
  });
});
