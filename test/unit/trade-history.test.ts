import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TradeHistory } from '../../src/app/trade-history.js';
import { closingReason } from '../../src/core/exit-reason.js';
import type { ClosedTrade } from '../../src/core/portfolio-types.js';
import { summarizeProfit } from '../../src/core/profit-summary.js';
import type { TradePageQuery } from '../../src/core/trade-history.js';

const DAY = 86_400_000;
const t0 = Date.UTC(2026, 0, 30, 12); // a Friday

describe('profit summary', () => {
  const trades = [
    { closedAt: t0, profit: 10, symbol: 'BTC/USDT', bot: 'sma', exitReason: 'stop loss' },
    { closedAt: t0 + 1 * DAY, profit: -4, symbol: 'ETH/USDT', bot: 'sma', exitReason: 'exit target' },
    { closedAt: t0 + 3 * DAY, profit: 6.5, symbol: 'BTC/USDT', bot: 'max-1', exitReason: 'stop loss' },
    { closedAt: t0 + 3 * DAY + 60_000, profit: -0.5, symbol: 'BTC/USDT', bot: 'max-1', exitReason: 'cross' },
  ];

  it('totals, the running profit in close order and the profit factor', () => {
    const s = summarizeProfit([...trades].reverse());
    assert.deepEqual([s.trades, s.wins, s.losses, s.profit, s.win_rate, s.best, s.worst], [4, 2, 2, 12, 0.5, 10, -4]);
    assert.equal(s.profit_factor, Math.round((16.5 / 4.5) * 1000) / 1000);
    assert.deepEqual(s.cumulative.map((c) => c.profit), [10, 6, 12.5, 12]);
  });

  it('days, Monday weeks and months in UTC', () => {
    const s = summarizeProfit(trades);
    assert.deepEqual(s.daily.map((d) => [d.period, d.profit, d.trades]), [['2026-01-30', 10, 1], ['2026-01-31', -4, 1], ['2026-02-02', 6, 2]]);
    assert.deepEqual(s.weekly.map((d) => [d.period, d.profit]), [['2026-01-26', 6], ['2026-02-02', 6]]);
    assert.deepEqual(s.monthly.map((d) => [d.period, d.profit]), [['2026-01', 6], ['2026-02', 6]]);
  });

  it('by instrument, bot and exit reason, best first', () => {
    const s = summarizeProfit(trades);
    assert.deepEqual(s.by_symbol.map((g) => [g.key, g.trades, g.profit, g.win_rate]), [['BTC/USDT', 3, 16, 2 / 3], ['ETH/USDT', 1, -4, 0]]);
    assert.deepEqual(s.by_bot.map((g) => [g.key, g.profit]), [['sma', 6], ['max-1', 6]].sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
    assert.deepEqual(s.by_exit_reason.map((g) => g.key), ['stop loss', 'cross', 'exit target']);
  });

  it('an empty history has zero totals and no best or worst', () => {
    const s = summarizeProfit([]);
    assert.deepEqual([s.trades, s.profit, s.best, s.worst, s.profit_factor, s.cumulative.length], [0, 0, null, null, null, 0]);
  });
});

describe('exit reason', () => {
  it('names protective orders by purpose and market exits by their reason', () => {
    assert.equal(closingReason({ purpose: 'stop_loss', reason: null }), 'stop loss');
    assert.equal(closingReason({ purpose: 'take_profit', reason: 'x' }), 'exit target');
    assert.equal(closingReason({ purpose: 'exit', reason: 'close' }), 'close');
    assert.equal(closingReason({ purpose: 'exit', reason: null }), 'exit');
    assert.equal(closingReason({ purpose: 'entry', reason: 'cross up' }), 'reversed: cross up');
  });
});

describe('trade history service', () => {
  const closed = (i: number, over: Partial<ClosedTrade> = {}): ClosedTrade => ({
    id: `T-${i}`, positionId: `P-${i}`, accountId: 'paper', botId: 'bot', symbol: 'ES', side: 'long', qty: 2, entryPrice: 5000, exitPrice: 5001,
    openedAt: t0, closedAt: t0 + i * 1000, grossPnl: 100, fees: 4, netPnl: 96, pnlR: null, mode: 'm', ...over,
  });
  const store = (trades: ClosedTrade[]) => ({
    reads: 0,
    tradeHistory(q: TradePageQuery) {
      this.reads += 1;
      const sorted = [...trades].sort((a, b) => b.closedAt - a.closedAt);
      return { total: sorted.length, trades: sorted.slice(q.offset, q.offset + q.limit) };
    },
  });

  it('gives profit in percent of the entry notional with the point value, duration and exit reason', () => {
    const h = new TradeHistory({ store: store([closed(5, { exitReason: 'stop loss' })]), pointValue: (s) => (s === 'ES' ? 50 : undefined) });
    const [row] = h.page({}, 10, 0).trades;
    assert.equal(row?.profit_pct, Math.round((96 / (5000 * 2 * 50)) * 1e6) / 1e4);
    assert.equal(row?.duration_ms, 5000);
    assert.equal(row?.exit_reason, 'stop loss');
    const [old] = new TradeHistory({ store: store([closed(1)]), pointValue: () => undefined }).page({}, 1, 0).trades;
    assert.equal(old?.exit_reason, 'exit', 'a trade journaled before exit reasons were kept');
  });

  it('exports every matching trade as CSV in chunks, quoting text and defusing formulas', () => {
    const many = Array.from({ length: 4_500 }, (_, i) => closed(i + 1, { exitReason: i === 0 ? '=HYPERLINK("x"), "quoted"' : 'stop loss' }));
    const s = store(many);
    const csv = new TradeHistory({ store: s, pointValue: () => 50 }).csv({});
    const lines = csv.trimEnd().split('\n');
    assert.equal(lines.length, 4_501);
    assert.match(lines[0] ?? '', /^id,account,bot,symbol,side,qty,entry_price,exit_price,opened_at,closed_at,duration_ms,profit,profit_pct/);
    assert.equal(s.reads, 3, 'read in chunks of 2,000');
    assert.ok(lines[1]?.startsWith('T-4500,paper,bot,ES,long,2,5000,5001,2026-01-30T12:00:00.000Z,'));
    assert.ok(lines[4_500]?.includes(`"'=HYPERLINK(""x""), ""quoted""",m`), lines[4_500]);
  });
});
