// GET /api/trade-history, /api/trade-history.csv and /api/profit on the real server, fed by the
// demo bot's real trades and one position closed through the API.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fastConfig, getJson, startServer, tempDir, waitFor, type ServerHandle } from '../helpers/server.js';

interface Row {
  id: string;
  account: string;
  bot: string;
  symbol: string;
  profit: number;
  profit_pct: number;
  duration_ms: number;
  opened_at: number;
  closed_at: number;
  exit_reason: string;
}
interface Page {
  total: number;
  limit: number;
  offset: number;
  trades: Row[];
}
interface Profit {
  trades: number;
  profit: number;
  cumulative: { time: number; profit: number }[];
  daily: { period: string; profit: number; trades: number }[];
  by_symbol: { key: string; trades: number; profit: number }[];
  by_bot: { key: string; trades: number }[];
  by_exit_reason: { key: string; trades: number }[];
}

describe('trade history and profit routes (real server, demo bot trades)', () => {
  let server: ServerHandle;
  before(async () => {
    const dir = tempDir();
    server = await startServer({ dataDir: dir, config: fastConfig(dir) });
  });
  after(async () => {
    await server?.stop();
  });
  const get = <T>(path: string) => getJson<T>(`${server.url}${path}`);

  it('lists closed trades newest first with profit, percent, duration, exit reason, bot and account; pages with the total', async () => {
    // An operator close gives one trade a known exit reason.
    const position = await waitFor('an open demo position', async () => (await get<{ id: string }[]>('/api/positions?account=demo')).body[0]);
    const closed = await getJson<{ status?: string }>(`${server.url}/api/positions/${position.id}/close`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(closed.status, 200);
    const page = await waitFor('four closed trades', async () => {
      const r = await get<Page>('/api/trade-history?limit=4');
      return r.body.total >= 4 && r.body.trades.some((t) => t.exit_reason === 'closed by operator') ? r.body : null;
    }, 60_000);
    assert.equal(page.trades.length, 4);
    for (const t of page.trades) {
      assert.equal(t.account, 'demo');
      assert.equal(t.bot, 'demo-sma');
      assert.ok(Number.isFinite(t.profit) && Number.isFinite(t.profit_pct));
      assert.equal(t.duration_ms, t.closed_at - t.opened_at);
      assert.ok(t.exit_reason.length > 0);
    }
    const times = page.trades.map((t) => t.closed_at);
    assert.deepEqual(times, [...times].sort((a, b) => b - a), 'newest first');
    const second = (await get<Page>(`/api/trade-history?limit=1&offset=1&to=${page.trades[0]!.closed_at + 1}`)).body;
    assert.equal(second.trades[0]?.id, page.trades[1]?.id, 'offset 1 is the second trade');
  });

  it('filters by account, bot, symbol and time; refuses an unknown account and a bad limit', async () => {
    const all = (await get<Page>('/api/trade-history?limit=500')).body;
    const symbol = all.trades[0]!.symbol;
    const bySymbol = (await get<Page>(`/api/trade-history?symbol=${encodeURIComponent(symbol.replace('/', ''))}&limit=500`)).body;
    assert.ok(bySymbol.total > 0 && bySymbol.trades.every((t) => t.symbol === symbol));
    assert.equal((await get<Page>('/api/trade-history?account=paper')).body.total, 0, 'the engine account has not traded');
    assert.equal((await get<Page>('/api/trade-history?bot=nobody')).body.total, 0);
    assert.ok((await get<Page>('/api/trade-history?account=demo&bot=demo-sma')).body.total > 0);
    const cut = all.trades[Math.floor(all.trades.length / 2)]!.closed_at;
    const early = (await get<Page>(`/api/trade-history?to=${cut}&limit=500`)).body;
    assert.ok(early.trades.every((t) => t.closed_at < cut));
    const unknown = await get<{ detail: string }>('/api/trade-history?account=nope');
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.detail, /Unknown account 'nope'.*demo/);
    assert.equal((await get('/api/trade-history?limit=0')).status, 422);
    assert.equal((await get('/api/trade-history?from=yesterday')).status, 422);
  });

  it('exports the filtered trades as CSV and sums them in the profit view', async () => {
    const to = Date.now() + 1; // the same trades in all three answers
    const page = (await get<Page>(`/api/trade-history?limit=500&to=${to}`)).body;
    const res = await fetch(`${server.url}/api/trade-history.csv?to=${to}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/csv/);
    assert.match(res.headers.get('content-disposition') ?? '', /attachment; filename="tradewind-trades.csv"/);
    const lines = (await res.text()).trimEnd().split('\n');
    assert.equal(lines.length, page.total + 1);
    assert.equal(lines[1]?.split(',')[0], page.trades[0]?.id);
    const profit = (await get<Profit>(`/api/profit?to=${to}`)).body;
    assert.equal(profit.trades, page.total);
    const sum = Math.round(page.trades.reduce((s, t) => s + t.profit, 0) * 100) / 100;
    assert.equal(profit.profit, sum);
    assert.equal(profit.cumulative.at(-1)?.profit, sum);
    assert.equal(profit.daily.reduce((s, d) => s + d.trades, 0), page.total);
    assert.equal(profit.by_symbol.reduce((s, g) => s + g.trades, 0), page.total);
    assert.deepEqual(profit.by_bot.map((g) => g.key), ['demo-sma']);
    assert.ok(profit.by_exit_reason.some((g) => g.key === 'closed by operator'));
    assert.equal((await get('/api/profit?account=nope')).status, 404);
  });
});
