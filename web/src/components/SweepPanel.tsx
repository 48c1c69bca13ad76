// A parameter sweep from the page (issue 16 item 14): every fast × slow combination of the SMA
// crossover runs as a backtest job on the server (POST /api/backtests, the same worker threads as
// any job, two at a time), on the data and settings of the form; the results fill a heat map.
import { useRef, useState } from 'react';
import { api, ApiError, fmt, type BacktestJob, type BacktestResult } from '../api';
import { withoutPaths } from '../withoutPaths';

export const SWEEP_CONCURRENCY = 2;
export const SWEEP_POLL_MS = 700;
export const MAX_SWEEP = 64;

const METRICS = {
  returnPct: { label: 'return %', value: (r: BacktestResult) => r.returnPct ?? ((r.finalValue - r.startingCash) / r.startingCash) * 100, high: true },
  closedPnl: { label: 'closed P&L', value: (r: BacktestResult) => r.closedPnl, high: true },
  sharpe: { label: 'Sharpe', value: (r: BacktestResult) => r.sharpe, high: true },
  maxDrawdownPct: { label: 'max drawdown %', value: (r: BacktestResult) => r.maxDrawdownPct, high: false },
  winRate: { label: 'win rate %', value: (r: BacktestResult) => (r.winRate === null ? null : r.winRate * 100), high: true },
} as const;
type Metric = keyof typeof METRICS;

/** `5,10,15`, `5..20` or `5..20:5` (as --grid): positive integers, in order, without repeats. */
export function parseValues(text: string): number[] | string {
  const out: number[] = [];
  for (const part of text.split(/[,\s|]+/).filter(Boolean)) {
    const m = /^(\d+)\.\.(\d+)(?::(\d+))?$/.exec(part);
    if (m) {
      const [from, to, step] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 1)];
      if (!(step > 0) || to < from) return `'${part}' is an empty range`;
      for (let v = from; v <= to; v += step) out.push(v);
    } else if (/^\d+$/.test(part) && Number(part) > 0) out.push(Number(part));
    else return `'${part}' is not a whole number above 0 or a range like 5..20:5`;
  }
  if (out.length === 0) return 'no values';
  return [...new Set(out)].sort((a, b) => a - b);
}

interface Cell {
  fast: number;
  slow: number;
  jobId: string | null;
  state: 'queued' | 'running' | 'done' | 'failed';
  result: BacktestResult | null;
  error: string | null;
}
const cellKey = (fast: number, slow: number) => `${fast}/${slow}`;

const wait = (ms: number) => new Promise((r) => window.setTimeout(r, ms));

/** Red (worst) to green (best) through grey. */
function colour(t: number): string {
  const r = Math.round(t < 0.5 ? 200 : 200 - (t - 0.5) * 2 * 162);
  const g = Math.round(t < 0.5 ? 70 + t * 2 * 80 : 150 + (t - 0.5) * 2 * 16);
  const b = Math.round(t < 0.5 ? 70 : 70 + (t - 0.5) * 2 * 84);
  return `rgb(${r},${g},${b})`;
}

export function SweepPanel({ base, onOpen, onDone }: { base: () => Record<string, unknown>; onOpen: (jobId: string) => void; onDone?: () => void }) {
  const [fastText, setFastText] = useState('5,10,15');
  const [slowText, setSlowText] = useState('20,30,40');
  const [metric, setMetric] = useState<Metric>('returnPct');
  const [cells, setCells] = useState<Record<string, Cell>>({});
  const [axes, setAxes] = useState<{ fast: number[]; slow: number[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const stop = useRef(false);

  const update = (k: string, patch: Partial<Cell>) => setCells((c) => ({ ...c, [k]: { ...(c[k] as Cell), ...patch } }));

  /** One combination: submitted (again after a refusal for load), then watched to its end. */
  const runOne = async (body: Record<string, unknown>, k: string) => {
    let id: string | null = null;
    for (let attempt = 0; id === null; attempt++) {
      if (stop.current) return;
      try {
        id = (await api<{ job_id: string }>('/api/backtests', { method: 'POST', json: body })).job_id;
      } catch (e) {
        // Too many jobs at once or the rate limit: try again later; anything else is this cell's error.
        if (e instanceof ApiError && e.status === 429 && attempt < 20) await wait(Math.max(e.retryAfterMs, 1000));
        else {
          // Every combination shares the data and settings: one refused request means all would be.
          if (e instanceof ApiError && e.status < 500) {
            stop.current = true;
            setError(`the server refused the sweep’s backtest: ${withoutPaths(e.message)}`);
          }
          return update(k, { state: 'failed', error: withoutPaths((e as Error).message) });
        }
      }
    }
    update(k, { jobId: id, state: 'running' });
    for (;;) {
      await wait(SWEEP_POLL_MS);
      let j: BacktestJob;
      try {
        j = await api<BacktestJob>(`/api/backtests/${encodeURIComponent(id)}`);
      } catch (e) {
        if (e instanceof ApiError && (e.status === 429 || e.status >= 500)) continue;
        return update(k, { state: 'failed', error: withoutPaths((e as Error).message) });
      }
      if (j.state === 'running') continue;
      if (j.state === 'done' && j.result) return update(k, { state: 'done', result: j.result });
      return update(k, { state: 'failed', error: j.result_dropped ? 'its report is no longer kept on the server' : withoutPaths(j.error ?? j.state) });
    }
  };

  const start = async () => {
    const fast = parseValues(fastText);
    const slow = parseValues(slowText);
    if (typeof fast === 'string') return setError(`fast: ${fast}`);
    if (typeof slow === 'string') return setError(`slow: ${slow}`);
    const combos = fast.flatMap((f) => slow.filter((s) => f < s).map((s) => [f, s] as const));
    if (combos.length === 0) return setError('no combination with fast below slow');
    if (combos.length > MAX_SWEEP) return setError(`${combos.length} combinations: at most ${MAX_SWEEP} from the page (use tradewind backtest --grid for more)`);
    const b = base();
    const strategy = b.strategy as Record<string, unknown>;
    if (strategy.name !== 'sma-cross') return setError('the sweep varies the SMA crossover’s fast and slow: choose the sma-cross strategy above');
    setError(null);
    setAxes({ fast: fast.filter((f) => slow.some((s) => f < s)), slow: slow.filter((s) => fast.some((f) => f < s)) });
    setCells(Object.fromEntries(combos.map(([f, s]) => [cellKey(f, s), { fast: f, slow: s, jobId: null, state: 'queued', result: null, error: null } satisfies Cell])));
    stop.current = false;
    setRunning(true);
    const queue = [...combos];
    const worker = async () => {
      for (let next = queue.shift(); next && !stop.current; next = queue.shift()) {
        const [f, s] = next;
        await runOne({ ...b, strategy: { ...strategy, fast: f, slow: s } }, cellKey(f, s));
      }
    };
    await Promise.all(Array.from({ length: SWEEP_CONCURRENCY }, worker));
    setRunning(false);
    onDone?.();
  };

  const m = METRICS[metric];
  const values = Object.values(cells).flatMap((c) => (c.result ? [m.value(c.result)] : [])).filter((v): v is number => v !== null && Number.isFinite(v));
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const best = values.length ? (m.high ? hi : lo) : null;
  const all = Object.values(cells);
  const finished = all.filter((c) => c.state === 'done' || c.state === 'failed').length;

  return (
    <section className="panel span12" data-testid="sweep">
      <h2>
        Parameter sweep<span className="muted">every fast × slow of the SMA crossover on the data and settings above, each a backtest job on the server</span>
      </h2>
      <div className="row wrap form">
        <label>
          fast values
          <input name="sweep-fast" value={fastText} onChange={(e) => setFastText(e.target.value)} placeholder="5,10,15 or 5..20:5" />
        </label>
        <label>
          slow values
          <input name="sweep-slow" value={slowText} onChange={(e) => setSlowText(e.target.value)} placeholder="20..60:10" />
        </label>
        <label>
          colour by
          <select name="sweep-metric" value={metric} onChange={(e) => setMetric(e.target.value as Metric)}>
            {Object.entries(METRICS).map(([k, v]) => (
              <option key={k} value={k}>
                {v.label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="primary" disabled={running} onClick={() => void start()} data-testid="sweep-run">
          Run sweep
        </button>
        <button type="button" disabled={!running} onClick={() => (stop.current = true)} data-testid="sweep-stop">
          Stop
        </button>
        {all.length > 0 && (
          <span className="small muted" data-testid="sweep-progress" data-done={finished} data-total={all.length}>
            {finished} / {all.length} done
          </span>
        )}
      </div>
      {error && (
        <div className="error small" role="alert" data-testid="sweep-error">
          {error}
        </div>
      )}
      {axes && (
        <div className="scroll">
          <table className="heatmap" data-testid="sweep-heatmap" data-metric={metric}>
            <thead>
              <tr>
                <th className="muted">fast \ slow</th>
                {axes.slow.map((s) => (
                  <th key={s}>{s}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {axes.fast.map((f) => (
                <tr key={f}>
                  <th>{f}</th>
                  {axes.slow.map((s) => {
                    const c = cells[cellKey(f, s)];
                    if (!c) return <td key={s} className="muted" title="fast must be below slow" />;
                    const v = c.result ? m.value(c.result) : null;
                    const t = v === null || hi === lo ? 0.5 : m.high ? (v - lo) / (hi - lo) : (hi - v) / (hi - lo);
                    const isBest = v !== null && v === best;
                    return (
                      <td
                        key={s}
                        className={isBest ? 'best' : ''}
                        style={{ background: c.result ? colour(t) : 'var(--line)', cursor: c.jobId ? 'pointer' : 'default' }}
                        data-fast={f}
                        data-slow={s}
                        data-state={c.state}
                        data-value={v ?? ''}
                        data-job={c.jobId ?? ''}
                        data-best={isBest ? 'true' : undefined}
                        title={c.error ?? (c.result ? `fast ${f} slow ${s}: ${m.label} ${fmt(v)} · ${c.result.closedTrades} trades · click to open` : c.state)}
                        onClick={() => c.jobId && c.state === 'done' && onOpen(c.jobId)}
                      >
                        {c.state === 'done' ? fmt(v) : c.state === 'failed' ? '!' : '…'}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
