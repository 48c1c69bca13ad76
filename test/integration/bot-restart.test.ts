// Bots survive restarts: a Max bot with an armed trailing stop is SIGKILLed with the server and
// comes back with its id, its position and its trail (read back from the registry's SQLite row);
// a new bot gets a new id and never adopts the old bot's position.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { DEFAULT_SIM_INSTRUMENTS } from '../../src/adapters/feed-sim.js';
import { fastConfig, getJson, startServer, tempDir, waitFor } from '../helpers/server.js';

type Obj = Record<string, unknown>;

interface BotStatus {
  bot_id: string;
  status: string;
  position: { side: string; qty: number; entry_price: number; trail_stop: number | null } | null;
}

function botRow(dataDir: string, id: string): { status: string; state: { trade: { armed: boolean; best: number; side: string; positionId: string } | null } } | undefined {
  const db = new Database(join(dataDir, 'tradewind.db'), { readonly: true });
  try {
    const row = db.prepare(`SELECT status, state FROM bots WHERE id = ?`).get(id) as { status: string; state: string | null } | undefined;
    return row && { status: row.status, state: row.state ? JSON.parse(row.state) : { trade: null } };
  } finally {
    db.close();
  }
}

const POINTS = '0.25_10_10_10';

const startMax = async (url: string, points: string): Promise<{ status: number; body: Obj }> => {
  const form = new FormData();
  for (const [k, v] of Object.entries({ contract: 'ES', trading_mode: 'long', trading_side: 'long', environment: 'DEMO', point_strategy_key: points, exit_strategy_key: '0_60', quantity: '1' })) form.append(k, v);
  const res = await fetch(`${url}/api/v1/run-bot/max`, { method: 'POST', body: form });
  return { status: res.status, body: (await res.json()) as Obj };
};

describe('bot registry across a SIGKILL', () => {
  it('a Max bot and its armed trailing stop survive SIGKILL; ids never repeat; a new bot adopts nothing', async () => {
    const dataDir = tempDir('tw-bot-restart-');
    // Half-second reference bars; enter 0.25 above the last bar's high, stop 10 points away, trail armed after +10 and
    // 10 points behind the best price. ES moves about 7 points a second here (1.7 a 50 ms tick; seeded), so a trade
    // arms or stops out within seconds and the bot enters again until one arms (the default 0.16 volatility left a
    // +0.5 target unreached for 90 s about one run in ten), and once armed a 10-point pullback is far more than the
    // price moves between the check and the kill (a 0.25 trail could fire in that gap).
    const feed = { seed: 17, instruments: DEFAULT_SIM_INSTRUMENTS.map((i) => (i.symbol === 'ES' ? { ...i, annualVol: 3 } : i)) };
    const live = fastConfig(dataDir, { demoBot: { enabled: false }, maxBot: { barIntervalMs: 500 }, feed: { ...feed, tickIntervalMs: 50 } });
    const server = await startServer({ dataDir, config: live });
    let killed = false;
    let id = '';
    try {
      const started = await startMax(server.url, POINTS);
      assert.equal(started.status, 200, JSON.stringify(started.body));
      id = String(started.body.bot_id);
      assert.equal(id, 'max-001');
      // Wait until the registry holds an open trade with the trail armed, then kill the server.
      await waitFor(
        'an armed trail in the registry',
        async () => {
          const { body } = await getJson<BotStatus>(`${server.url}/api/v1/run-bot/max/${id}`);
          return body.position?.trail_stop != null && botRow(dataDir, id)?.state.trade?.armed === true;
        },
        90_000,
      );
      await server.kill9();
      killed = true;
    } finally {
      if (!killed) await server.stop();
    }
    const saved = botRow(dataDir, id);
    assert.ok(saved?.state.trade?.armed, JSON.stringify(saved));
    assert.equal(saved?.status, 'running');
    const trade = saved.state.trade as { best: number; side: string; positionId: string };

    // Restart with the feed frozen, so the trail cannot move or fire while we compare.
    const frozen = fastConfig(dataDir, { demoBot: { enabled: false }, maxBot: { barIntervalMs: 500 }, feed: { ...feed, tickIntervalMs: 60_000 } });
    const restarted = await startServer({ dataDir, config: frozen });
    try {
      const { body } = await getJson<BotStatus>(`${restarted.url}/api/v1/run-bot/max/${id}`);
      assert.equal(body.status, 'running', JSON.stringify(body));
      assert.ok(body.position, 'its position is still its own');
      // trail = best - 10 for a long (never below the initial stop, 10 points away).
      assert.equal(body.position.trail_stop, trade.best - 10, JSON.stringify(body.position));
      const positions = (await getJson<{ id: string }[]>(`${restarted.url}/api/positions`)).body;
      assert.ok(positions.some((p) => p.id === trade.positionId), 'the position restored on the engine account');

      const next = await startMax(restarted.url, POINTS);
      assert.equal(next.status, 200, JSON.stringify(next.body));
      assert.equal(next.body.bot_id, 'max-002', 'ids continue after a restart');
      const other = (await getJson<BotStatus>(`${restarted.url}/api/v1/run-bot/max/max-002`)).body;
      assert.equal(other.position, null, 'a new bot never adopts the old bot position');
      const list = (await getJson<{ bots: { bot_id: string }[] }>(`${restarted.url}/api/v1/run-bot/max`)).body.bots.map((b) => b.bot_id);
      assert.deepEqual(list.sort(), ['max-001', 'max-002']);
    } finally {
      await restarted.stop();
    }
  });
});
