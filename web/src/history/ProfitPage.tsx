import './history.css';
import { useEffect, useState } from 'react';
import type { UTCTimestamp } from 'lightweight-charts';
import { api, fmt, fmtCount, pnlClass } from '../api';
import { retryable, usePoll } from '../polling';
import { filterQuery, NO_FILTERS, type GroupProfit, type PeriodProfit, type ProfitSummary, type TradeFilters } from './historyApi';
import { TradeFiltersForm } from './TradeFiltersForm';
import { useLazyChart } from './useLazyChart';

type Period = 'daily' | 'weekly' | 'monthly';
const sec = (ms: number) => Math.floor(ms / 1000) as UTCTimestamp;

/** The running total of closed trades' profit, one point per close (same-second closes keep the last). */
function CumulativeChart({ points }: { points: ProfitSummary['cumulative'] }) {
  const { box, ready } = useLazyChart((lib, chart, c) => chart.addSeries(lib.BaselineSeries, { baseValue: { type: 'price', price: 0 }, topLineColor: c.pos, bottomLineColor: c.neg, lineWidth: 2 }));
  useEffect(() => {
    if (!ready) return;
    const bySecond = new Map<number, number>();
    for (const p of points) bySecond.set(sec(p.time), p.profit);
    ready.series.setData([...bySecond].map(([time, value]) => ({ time: time as UTCTimestamp, value })));
    ready.chart.timeScale().fitContent();
  }, [ready, points]);
  return <div className="chart-box tall" ref={box} data-testid="profit-cumulative" data-points={points.length} />;
}

function PeriodBars({ bars }: { bars: PeriodProfit[] }) {
  const { box, ready } = useLazyChart((lib, chart) => chart.addSeries(lib.HistogramSeries, {}), false);
  useEffect(() => {
    if (!ready) return;
    const css = getComputedStyle(document.documentElement);
    const pos = css.getPropertyValue('--pos').trim() || '#26a69a';
    const neg = css.getPropertyValue('--neg').trim() || '#ef5350';
    ready.series.setData(bars.map((b) => ({ time: sec(b.start), value: b.profit, color: b.profit >= 0 ? pos : neg })));
    ready.chart.timeScale().fitContent();
  }, [ready, bars]);
  return <div className="chart-box" ref={box} data-testid="profit-bars" data-bars={bars.length} />;
}

function GroupTable({ title, rows, testid }: { title: string; rows: GroupProfit[]; testid: string }) {
  return (
    <section className="panel span4" data-testid={testid}>
      <h2>{title}</h2>
      <div className="scroll-x">
        <table>
          <thead>
            <tr>
              <th>{title.replace(/^By /, '')}</th>
              <th className="num">Trades</th>
              <th className="num">Win %</th>
              <th className="num">Profit</th>
              <th className="num">Avg</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((g) => (
              <tr key={g.key} data-key={g.key}>
                <td>{g.key}</td>
                <td className="num">{g.trades}</td>
                <td className="num">{(g.win_rate * 100).toFixed(0)}</td>
                <td className={`num ${pnlClass(g.profit)}`}>{fmt(g.profit)}</td>
                <td className={`num ${pnlClass(g.avg_profit)}`}>{fmt(g.avg_profit)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** Profit of closed trades (GET /api/profit): totals, running total, period bars and breakdowns. */
export function ProfitPage({ active = true }: { active?: boolean }) {
  const [filters, setFilters] = useState<TradeFilters>(NO_FILTERS);
  const [period, setPeriod] = useState<Period>('daily');
  const [summary, setSummary] = useState<ProfitSummary | null>(null);
  const [error, setError] = useState<string | null>(null);
  const query = filterQuery(filters);
  usePoll(
    async () => {
      try {
        setSummary(await api<ProfitSummary>(`/api/profit${query}`));
        setError(null);
      } catch (e) {
        if (retryable(e)) throw e;
        setError((e as Error).message);
      }
    },
    15_000,
    active,
    query,
  );
  const s = summary;
  return (
    <main className="grid" data-testid="profit">
      <section className="panel span12">
        <h2>
          Profit <span className="muted">closed trades, net of fees</span>
        </h2>
        <TradeFiltersForm value={filters} onChange={setFilters} testid="profit-filters" />
        {error && <div className="error small">{error}</div>}
        <dl className="kv wide" data-testid="profit-summary">
          <div data-field="profit">
            <dt>Profit</dt>
            <dd className={pnlClass(s?.profit)}>{fmt(s?.profit)}</dd>
          </div>
          <div data-field="trades">
            <dt>Trades</dt>
            <dd>{s ? fmtCount(s.trades) : '—'}</dd>
          </div>
          <div data-field="win_rate">
            <dt>Win rate</dt>
            <dd>{s && s.trades ? `${(s.win_rate * 100).toFixed(1)} %` : '—'}</dd>
          </div>
          <div data-field="profit_factor">
            <dt title="gross wins over gross losses">Profit factor</dt>
            <dd>{s?.profit_factor === null || !s ? '—' : fmt(s.profit_factor)}</dd>
          </div>
          <div data-field="best">
            <dt>Best</dt>
            <dd className={pnlClass(s?.best)}>{fmt(s?.best)}</dd>
          </div>
          <div data-field="worst">
            <dt>Worst</dt>
            <dd className={pnlClass(s?.worst)}>{fmt(s?.worst)}</dd>
          </div>
        </dl>
      </section>
      <section className="panel span8">
        <h2>Cumulative profit</h2>
        <CumulativeChart points={s?.cumulative ?? []} />
      </section>
      <section className="panel span4">
        <h2 className="row">
          Profit per
          <span className="seg" role="group" aria-label="period">
            {(['daily', 'weekly', 'monthly'] as const).map((p) => (
              <button key={p} type="button" className={period === p ? 'on' : ''} aria-pressed={period === p} onClick={() => setPeriod(p)} data-period={p}>
                {p === 'daily' ? 'day' : p === 'weekly' ? 'week' : 'month'}
              </button>
            ))}
          </span>
        </h2>
        <PeriodBars bars={s?.[period] ?? []} />
      </section>
      <GroupTable title="By instrument" rows={s?.by_symbol ?? []} testid="profit-by-symbol" />
      <GroupTable title="By bot" rows={s?.by_bot ?? []} testid="profit-by-bot" />
      <GroupTable title="By exit reason" rows={s?.by_exit_reason ?? []} testid="profit-by-exit" />
    </main>
  );
}
