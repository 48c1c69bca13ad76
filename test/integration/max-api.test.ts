import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getJson, startServer, tempDir, type ServerHandle } from '../helpers/server.js';

interface Trade {
  entry_time: string;
  entry_price: number;
  exit_time: string;
  exit_price: number;
  profit: number;
  side: 'long' | 'short';
  qty: number;
  points: number;
  gross_profit: number;
  fees: number;
  exit_reason: string;
}
interface BacktestBody {
  result: { total_trades: number; winning_trades: number; losing_trades: number; breakeven_trades: number; win_rate: number; total_profit: number; max_drawdown: number };
  trades: Trade[];
  meta: Record<string, unknown>;
}

const T0 = Date.UTC(2025, 0, 2, 14, 30);

/** The hand-computed tape (one-minute reference bars), as a tick CSV. */
function handTape(): string {
  const rows: [number, number][] = [
    [0, 21_000],
    [30, 21_001],
    [60, 21_002],
    [75, 21_005],
    [90, 21_005.5],
    [105, 21_008],
    [120, 21_009],
    [135, 21_008],
    [150, 21_007.75],
    [165, 21_007],
  ];
  return ['timestamp,price,volume', ...rows.map(([s, p]) => `${T0 + s * 1_000},${p},1`)].join('\n') + '\n';
}

/** Three hours of one-second NQ prints from a seeded random walk (LCG), on the 0.25 grid. */
function seededTape(seed: number): string {
  let state = seed >>> 0;
  const rand = () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
  let price = 21_000;
  const lines = ['timestamp,price,volume'];
  for (let i = 0; i < 3 * 3_600; i++) {
    price += Math.round((rand() - 0.5) * 6) * 0.25;
    lines.push(`${T0 + i * 1_000},${price.toFixed(2)},${1 + Math.floor(rand() * 5)}`);
  }
  return lines.join('\n') + '\n';
}

function form(fields: Record<string, string>, file?: { text: string; name: string }): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  if (file) f.append('file', new Blob([file.text], { type: 'text/csv' }), file.name);
  return f;
}

const base = { accountName: 'APEX_136189', mode: 'backtesting', contract: 'NQ', maxMode: 'both', point_key: '4_2_3_1', exit_strategy_key: '10_5', notes: 'seeded test' };

describe('Max bot API (seed 002) over HTTP', () => {
  let server: ServerHandle;
  const post = <T>(path: string, body: FormData) => getJson<T>(`${server.url}/api/v1/run-bot${path}`, { method: 'POST', body });

  before(async () => {
    server = await startServer({ dataDir: tempDir('tw-max-api-') });
  });
  after(async () => {
    await server.stop();
  });

  it('backtests an uploaded tick file: the hand-computed trade, with paper fees and slippage', async () => {
    const { status, body } = await post<BacktestBody>('/max-backtest', form({ ...base, maxMode: 'long', exit_strategy_key: '0_0' }, { text: handTape(), name: 'nq.csv' }));
    assert.equal(status, 200, JSON.stringify(body));
    // Signal at 21005 (21001 + 4); entry fills at the next print 21005.5 + 1 tick = 21005.75;
    // +3 at 21008 arms a 1-point trail, best 21009, 21008 hits it; the exit fills at the next
    // print 21007.75 - 1 tick = 21007.5: 1.75 points x $20 = $35 gross, 2 x $2.25 fees, $30.50 net.
    assert.equal(body.trades.length, 1);
    const t = body.trades[0] as Trade;
    assert.deepEqual(
      [t.side, t.entry_price, t.exit_price, t.entry_time, t.exit_time, t.points, t.gross_profit, t.fees, t.profit],
      ['long', 21_005.75, 21_007.5, new Date(T0 + 90_000).toISOString(), new Date(T0 + 150_000).toISOString(), 1.75, 35, 4.5, 30.5],
    );
    assert.match(t.exit_reason, /^trail 1 pts/);
    assert.deepEqual(body.result, { ...body.result, total_trades: 1, winning_trades: 1, losing_trades: 0, win_rate: 1, total_profit: 30.5, max_drawdown: 0 });
    assert.deepEqual(
      { source: body.meta.source, dateFrom: body.meta.dateFrom, dateTo: body.meta.dateTo, accountName: body.meta.accountName, mode: body.meta.mode, notes: body.meta.notes },
      { source: 'file', dateFrom: null, dateTo: null, accountName: 'APEX_136189', mode: 'backtesting', notes: 'seeded test' },
    );
    assert.equal(body.meta.ticks, 10);
  });

  it('backtests a seeded three-hour tape with consistent totals', async () => {
    const { status, body } = await post<BacktestBody>('/max-backtest', form(base, { text: seededTape(42), name: 'nq-seeded.csv' }));
    assert.equal(status, 200, JSON.stringify(body));
    const r = body.result;
    assert.ok(r.total_trades >= 5, `expected several trades, got ${r.total_trades}`);
    assert.equal(r.total_trades, body.trades.length);
    assert.equal(r.total_trades, r.winning_trades + r.losing_trades + r.breakeven_trades);
    assert.equal(r.winning_trades, body.trades.filter((t) => t.profit > 0).length);
    assert.equal(r.losing_trades, body.trades.filter((t) => t.profit < 0).length);
    assert.ok(Math.abs(r.win_rate - r.winning_trades / r.total_trades) < 1e-4);
    const sum = body.trades.reduce((s, t) => s + t.profit, 0);
    assert.ok(Math.abs(r.total_profit - sum) < 0.005, `${r.total_profit} vs ${sum}`);
    let eq = 0;
    let peak = 0;
    let dd = 0;
    for (const t of body.trades) {
      eq += t.profit;
      peak = Math.max(peak, eq);
      dd = Math.min(dd, eq - peak);
    }
    assert.ok(r.max_drawdown <= 0);
    assert.ok(Math.abs(r.max_drawdown - dd) < 0.005);
    for (const t of body.trades) {
      const sign = t.side === 'long' ? 1 : -1;
      assert.ok(Math.abs(t.points - sign * (t.exit_price - t.entry_price)) < 1e-9);
      assert.ok(Math.abs(t.gross_profit - t.points * 20 * t.qty) < 0.005, 'NQ: $20 a point');
      assert.ok(Math.abs(t.profit - (t.gross_profit - t.fees)) < 0.011);
      assert.ok(Date.parse(t.exit_time) >= Date.parse(t.entry_time));
      assert.ok(t.side === 'long' || t.side === 'short');
    }
    assert.ok(body.trades.some((t) => t.side === 'long') && body.trades.some((t) => t.side === 'short'), 'both mode trades both sides');
    // Same input, same output.
    const again = await post<BacktestBody>('/max-backtest', form(base, { text: seededTape(42), name: 'nq-seeded.csv' }));
    assert.deepEqual(again.body.result, body.result);
  });

  it('refuses missing and invalid fields with {detail}', async () => {
    const cases: [Record<string, string>, boolean, RegExp][] = [
      [{ ...base, contract: '' }, true, /missing required field: contract/],
      [{ accountName: 'x' }, true, /missing required fields: mode, contract, maxMode, point_key, exit_strategy_key/],
      [base, false, /either a tick data file \(file\) or both dateFrom and dateTo/],
      [{ ...base, maxMode: 'sideways' }, true, /maxMode must be one of long, short, both/],
      [{ ...base, point_key: '15_7_x_2' }, true, /point_key "15_7_x_2": part 3 \(target1\) "x"/],
      [{ ...base, point_key: '15_7_5' }, true, /point_key "15_7_5" must have 4 parts/],
      [{ ...base, exit_strategy_key: '15' }, true, /exit_strategy_key "15" must have 2 parts/],
      [{ ...base, mode: 'live' }, true, /mode must be "backtesting"/],
      [{ ...base, contract: 'CL' }, true, /contract must be one of NQ, ES, MNQ, MES/],
      [{ ...base, dateFrom: '2025-01-01' }, false, /dateFrom and dateTo go together/],
      [{ ...base, dateFrom: '2025-13-01', dateTo: '2025-01-21' }, false, /dateFrom must be a date formatted YYYY-MM-DD/],
      [{ ...base, dateFrom: '2025-01-22', dateTo: '2025-01-21' }, false, /must not be after dateTo/],
      [{ ...base, quantity: '1.5' }, true, /quantity must be a whole number/],
    ];
    for (const [fields, withFile, pattern] of cases) {
      const { status, body } = await post<{ detail: string }>('/max-backtest', form(fields, withFile ? { text: handTape(), name: 'a.csv' } : undefined));
      assert.equal(status, 422, `${JSON.stringify(fields)} -> ${status} ${JSON.stringify(body)}`);
      assert.match(body.detail, pattern);
    }
    const garbage = await post<{ detail: string }>('/max-backtest', form(base, { text: 'hello world\nnot,a,tick\n', name: 'bad.csv' }));
    assert.equal(garbage.status, 422);
    assert.match(garbage.body.detail, /^file/);
  });

  it('backtests a date range from the market data store: the same run as the file', async () => {
    const empty = await post<{ detail: string }>('/max-backtest', form({ ...base, dateFrom: '2025-01-01', dateTo: '2025-01-21' }));
    assert.equal(empty.status, 404, JSON.stringify(empty.body));
    assert.match(empty.body.detail, /No stored NQ ticks between 2025-01-01 and 2025-01-21/);

    // Import the seeded tape through the data upload API, then backtest the day from the store.
    const upload = new FormData();
    upload.append('instrument', 'NQ');
    upload.append('file', new Blob([seededTape(42)], { type: 'text/csv' }), 'nq-seeded.csv');
    const res = await fetch(`${server.url}/api/upload-tick-data`, { method: 'POST', body: upload });
    const sse = await res.text();
    assert.equal(res.status, 200, sse);
    assert.match(sse, /"status":"completed"/);

    const byDate = await post<BacktestBody>('/max-backtest', form({ ...base, dateFrom: '2025-01-02', dateTo: '2025-01-02' }));
    assert.equal(byDate.status, 200, JSON.stringify(byDate.body));
    assert.deepEqual(
      [byDate.body.meta.source, byDate.body.meta.dateFrom, byDate.body.meta.dateTo, byDate.body.meta.ticks],
      ['date_range', '2025-01-02', '2025-01-02', 3 * 3_600],
    );
    const byFile = await post<BacktestBody>('/max-backtest', form(base, { text: seededTape(42), name: 'nq-seeded.csv' }));
    assert.deepEqual(byDate.body.result, byFile.body.result);
    assert.deepEqual(byDate.body.trades, byFile.body.trades);
  });

  it('serves the Max routes only under /api/v1/run-bot', async () => {
    const { status } = await getJson(`${server.url}/api/run-bot/max-backtest`, { method: 'POST', body: form(base) });
    assert.equal(status, 404);
  });

  it('refuses LIVE, contracts the feed does not carry and missing fields; starts, shows and stops DEMO bots', async () => {
    const run = { accountName: 'APEX_136189', contract: 'NQ', trading_mode: 'both', trading_side: 'both', quantity: '1', environment: 'DEMO', accounts_ids: '[{"tv_id":"D18156785","ta_id":"PAAPEX1361890000010"}]' };
    const live = await post<{ detail: string }>('/max', form({ ...run, environment: 'LIVE' }));
    assert.equal(live.status, 400);
    assert.match(live.body.detail, /LIVE refused: no (live broker credentials are configured|mainnet exchange account with credentials)/);
    const micro = await post<{ detail: string }>('/max', form({ ...run, contract: 'MNQ' }));
    assert.equal(micro.status, 400);
    assert.match(micro.body.detail, /MNQ is not carried by the simulated feed \(it trades .*ES, NQ/);
    const missing = await post<{ detail: string }>('/max', form({ contract: 'NQ', trading_mode: 'both', trading_side: 'both' }));
    assert.equal(missing.status, 422);
    assert.match(missing.body.detail, /environment/);
    const noSide = await post<{ detail: string }>('/max', form({ ...run, trading_mode: 'long', trading_side: 'short' }));
    assert.equal(noSide.status, 422);
    const badJson = await post<{ detail: string }>('/max', form({ ...run, accounts_ids: '{nope' }));
    assert.equal(badJson.status, 422);
    assert.match(badJson.body.detail, /accounts_ids must be a JSON array/);

    const started = await post<{ status: string; bot_id: string; config: Record<string, unknown>; message: string }>('/max', form(run));
    assert.equal(started.status, 200, JSON.stringify(started.body));
    assert.equal(started.body.status, 'running');
    assert.equal(started.body.message, 'Max bot started successfully');
    assert.match(started.body.bot_id, /^max-\d{3}$/);
    assert.equal(started.body.config.point_strategy_key, '15_7_5_2');
    assert.equal(started.body.config.exit_strategy_key, '15_15');
    assert.equal(started.body.config.environment, 'DEMO');
    const second = await post<{ bot_id: string }>('/max', form({ ...run, contract: 'ES', trading_mode: 'short' }));
    assert.notEqual(second.body.bot_id, started.body.bot_id);

    const id = started.body.bot_id;
    const shown = await getJson<{ bot_id: string; status: string; config: Record<string, unknown>; result: { total_trades: number } }>(`${server.url}/api/v1/run-bot/max/${id}`);
    assert.equal(shown.status, 200);
    assert.equal(shown.body.status, 'running');
    assert.equal(shown.body.config.contract, 'NQ');
    const list = await getJson<{ bots: { bot_id: string }[] }>(`${server.url}/api/v1/run-bot/max`);
    assert.deepEqual(list.body.bots.map((b) => b.bot_id).sort(), [id, second.body.bot_id].sort());

    const stopped = await getJson<{ status: string }>(`${server.url}/api/v1/run-bot/max/${id}/stop`, { method: 'POST' });
    assert.equal(stopped.status, 200);
    assert.equal(stopped.body.status, 'stopped');
    const after = await getJson<{ status: string; stopped_at: string | null }>(`${server.url}/api/v1/run-bot/max/${id}`);
    assert.equal(after.body.status, 'stopped');
    assert.ok(after.body.stopped_at);
    const unknown = await getJson<{ detail: string }>(`${server.url}/api/v1/run-bot/max/max-999`);
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.detail, /max-999/);
  });
});
