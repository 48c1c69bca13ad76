// Backtest runs side by side (issue 16 item 14): pick finished jobs, see their figures in one table
// (the best of each row marked) and their equity curves overlaid on one chart.
import { createChart, LineSeries } from 'lightweight-charts';
import { useEffect, useMemo, useRef, useState } from 'react';
import { api, fmt, fmtCount, fmtDateTime, type BacktestJob, type BacktestResult } from '../api';
import { chartOptions, perSecond, RUN_COLORS } from '../backtestCharts';

export const MAX_COMPARED = 8;

/** A short name of a run's strategy and data. */
export function runLabel(r: BacktestResult): string {
  const s = r.strategy as Record<string, unknown>;
  const params = s.name === 'sma-cross' ? `sma ${String(s.fast)}/${String(s.slow)}` : s.name === 'max' ? `max ${String(s.point_key)} ${String(s.exit_strategy_key)}` : String(s.name);
  return `${params} · ${r.instrument}`;
}

type Row = [label: string, value: (r: BacktestResult) => number | null, show: (v: number | null) => string, better: 'high' | 'low' | null];
const pctOf = (v: number | null) => (v === null ? '—' : `${fmt(v, 2)} %`);
const ROWS: Row[] = [
  ['return', (r) => r.returnPct ?? ((r.finalValue - r.startingCash) / r.startingCash) * 100, pctOf, 'high'],
  ['final value', (r) => r.finalValue, (v) => fmt(v), 'high'],
  ['closed P&L', (r) => r.closedPnl, (v) => fmt(v), 'high'],
  ['fees', (r) => r.fees, (v) => fmt(v), 'low'],
  ['trades', (r) => r.closedTrades, (v) => (v === null ? '—' : String(v)), null],
  ['win rate', (r) => (r.winRate === null ? null : r.winRate * 100), pctOf, 'high'],
  ['max drawdown', (r) => r.maxDrawdownPct, pctOf, 'low'],
  ['sharpe', (r) => r.sharpe, (v) => fmt(v), 'high'],
  ['exposure', (r) => r.exposure * 100, pctOf, null],
  ['bars', (r) => r.bars, (v) => (v === null ? '—' : fmtCount(v)), null],
];

function Overlay({ runs }: { runs: { id: string; result: BacktestResult }[] }) {
  const box = useRef<HTMLDivElement>(null);
  const [lines, setLines] = useState(0);
  useEffect(() => {
    const el = box.current;
    if (!el || runs.length === 0) return undefined;
    const chart = createChart(el, chartOptions());
    runs.forEach((run, i) => {
      const line = chart.addSeries(LineSeries, { color: RUN_COLORS[i % RUN_COLORS.length], lineWidth: 2, priceLineVisible: false, title: run.id });
      line.setData(perSecond(run.result.equityCurve.map((p) => ({ ts: p.ts, value: p.equity }))));
    });
    chart.timeScale().fitContent();
    setLines(runs.length);
    return () => chart.remove();
  }, [runs]);
  return (
    <div className="chart" data-testid="compare-chart" data-lines={lines}>
      <div className="compare-legend">
        {runs.map((r, i) => (
          <span key={r.id}>
            <i style={{ background: RUN_COLORS[i % RUN_COLORS.length] }} />
            {r.id} · {runLabel(r.result)}
          </span>
        ))}
      </div>
      <div className="chart-box tall" ref={box} />
    </div>
  );
}

export function BacktestCompare({ jobs }: { jobs: BacktestJob[] }) {
  const done = jobs.filter((j) => j.state === 'done' && !j.result_dropped);
  const [picked, setPicked] = useState<string[]>([]);
  const [results, setResults] = useState<Record<string, BacktestResult>>({});
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const missing = picked.filter((id) => !results[id]);
    if (missing.length === 0) return;
    let stopped = false;
    Promise.all(missing.map((id) => api<BacktestJob>(`/api/backtests/${encodeURIComponent(id)}`)))
      .then((js) => {
        if (stopped) return;
        const got = js.filter((j) => j.result);
        // A report the server no longer keeps is not asked for again on every render.
        if (got.length < js.length) setPicked((p) => p.filter((id) => got.some((j) => j.job_id === id) || !js.some((j) => j.job_id === id)));
        if (got.length > 0) setResults((r) => ({ ...r, ...Object.fromEntries(got.map((j) => [j.job_id, j.result as BacktestResult])) }));
        setError(null);
      })
      .catch((e: unknown) => !stopped && setError((e as Error).message));
    return () => {
      stopped = true;
    };
  }, [picked, results]);

  const toggle = (id: string) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : p.length >= MAX_COMPARED ? p : [...p, id]));
  const runs = picked.flatMap((id) => (results[id] ? [{ id, result: results[id] as BacktestResult }] : []));
  // A new array only when the set of loaded runs changes, so the chart is not rebuilt on every render.
  const key = runs.map((r) => r.id).join('|');
  const shown = useMemo(() => runs, [key]);

  return (
    <section className="panel span12" data-testid="backtest-compare">
      <h2>
        Compare runs<span className="muted">tick up to {MAX_COMPARED} finished jobs: figures side by side, equity curves overlaid</span>
      </h2>
      <div className="row wrap" data-testid="compare-picker">
        {done.map((j) => (
          <label key={j.job_id} className="small">
            <input type="checkbox" checked={picked.includes(j.job_id)} onChange={() => toggle(j.job_id)} data-job={j.job_id} /> {j.job_id}
            <span className="muted"> {fmtDateTime(j.started_at).slice(11)}</span>
          </label>
        ))}
        {done.length === 0 && <span className="muted small">no finished backtest yet</span>}
      </div>
      {error && <div className="error small">{error}</div>}
      {shown.length > 0 && (
        <>
          <div className="scroll">
            <table data-testid="compare-table">
              <thead>
                <tr>
                  <th />
                  {shown.map((r, i) => (
                    <th key={r.id} className="num" data-job={r.id} style={{ color: RUN_COLORS[i % RUN_COLORS.length] }}>
                      {r.id}
                      <div className="muted small">{runLabel(r.result)}</div>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {ROWS.map(([label, value, show, better]) => {
                  const vs = shown.map((r) => value(r.result));
                  const known = vs.filter((v): v is number => v !== null);
                  const best = better && known.length > 1 ? (better === 'high' ? Math.max(...known) : Math.min(...known)) : null;
                  return (
                    <tr key={label} data-metric={label}>
                      <td className="muted">{label}</td>
                      {vs.map((v, i) => (
                        <td key={shown[i]?.id} className={`num ${best !== null && v === best ? 'pos' : ''}`} data-best={best !== null && v === best ? 'true' : undefined}>
                          {show(v)}
                        </td>
                      ))}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <Overlay runs={shown} />
        </>
      )}
    </section>
  );
}
