// GET /api/bars/overlays on the real server: the demo bot's own moving averages over the chart's
// bars, the levels of open positions, and the Renko bricks built for the desk.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fastConfig, getJson, startServer, tempDir, waitFor, waitForPrice, type ServerHandle } from '../helpers/server.js';

interface Overlays {
  symbol: string;
  interval_ms: number;
  lines: { name: string; bot: string; period: number; points: { time: number; value: number }[] }[];
  levels: { name: string; price: number; kind: string }[];
  bricks: { size: number; bricks: { time: number; open: number; close: number; color: string }[] }[];
}
interface Bars {
  bars: { time: number; close: number }[];
}

describe('chart overlays (real server)', () => {
  let server: ServerHandle;
  before(async () => {
    const dir = tempDir();
    server = await startServer({ dataDir: dir, config: fastConfig(dir) });
    await waitForPrice(server, 'BTC/USDT');
  });
  after(async () => {
    await server?.stop();
  });
  const get = <T>(path: string) => getJson<T>(`${server.url}${path}`);

  it("draws the demo bot's SMA 2 and SMA 4 from the same bars the chart shows", async () => {
    const o = await waitFor('both averages', async () => {
      const r = (await get<Overlays>('/api/bars/overlays?symbol=BTCUSDT&interval=200&limit=50')).body;
      return r.lines.length === 2 && (r.lines[1]?.points.length ?? 0) >= 3 ? r : null;
    });
    assert.equal(o.symbol, 'BTC/USDT');
    assert.deepEqual(o.lines.map((l) => [l.name, l.bot]), [['SMA 2', 'demo-sma'], ['SMA 4', 'demo-sma']]);
    const bars = (await get<Bars>('/api/bars?symbol=BTC/USDT&interval=200')).body.bars;
    const slow = o.lines[1]!;
    // Any point of the average is the mean of the four closes up to its bar.
    const p = slow.points[slow.points.length - 1]!;
    const i = bars.findIndex((b) => b.time === p.time);
    assert.ok(i >= 3, 'the averaged bar is in the history');
    const mean = bars.slice(i - 3, i + 1).reduce((s, b) => s + b.close, 0) / 4;
    assert.ok(Math.abs(p.value - mean) < 1e-6, `${p.value} vs ${mean}`);
    assert.ok(slow.points.length <= 50);
  });

  it('shows the entry and stop of an open position and refuses unknown symbols or intervals', async () => {
    const o = await waitFor('an open position with its levels', async () => {
      for (const s of ['BTC/USDT', 'ETH/USDT', 'ES', 'NQ']) {
        const r = (await get<Overlays>(`/api/bars/overlays?symbol=${encodeURIComponent(s)}&interval=200`)).body;
        if (r.levels.some((l) => l.kind === 'entry') && r.levels.some((l) => l.kind === 'stop')) return r;
      }
      return null;
    }, 60_000);
    assert.ok(o.levels.every((l) => Number.isFinite(l.price) && /^demo (long|short) (entry|stop|target)$/.test(l.name)), JSON.stringify(o.levels));
    assert.equal((await get('/api/bars/overlays?symbol=NOPE')).status, 404);
    assert.equal((await get('/api/bars/overlays?symbol=BTC/USDT&interval=7')).status, 400);
  });

  it('returns the Renko bricks built from the ES ticks for the desk', async () => {
    const o = await waitFor('ES bricks', async () => {
      const r = (await get<Overlays>('/api/bars/overlays?symbol=ES&interval=5000')).body;
      return r.bricks.length > 0 ? r : null;
    }, 60_000);
    for (const s of o.bricks) {
      for (const b of s.bricks) assert.equal(Math.round(Math.abs(b.close - b.open) * 1000) / 1000, s.size, `a ${s.size} brick spans its size`);
      const times = s.bricks.map((b) => b.time);
      assert.deepEqual(times, [...times].sort((a, b) => a - b), 'oldest first');
    }
  });
});
