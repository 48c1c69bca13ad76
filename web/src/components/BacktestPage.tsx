import { AreaSeries, ColorType, createChart, LineSeries, type UTCTimestamp } from 'lightweight-charts';
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { api, fmt, fmtCount, fmtDateTime, pnlClass, type BacktestJob, type BacktestResult } from '../api';
import { moneyAxis } from '../backtestCharts';
import { BacktestCandles } from './BacktestCandles';
import { BacktestCompare } from './BacktestCompare';
import { ProgressBar } from './ProgressBar';
import { withoutPaths } from '../withoutPaths';
import { SweepPanel } from './SweepPanel';
import '../panels.css';

export const BACKTEST_POLL_MS = 400;

type Source = 'file' | 'store';
type StrategyName = 'sma-cross' | 'max';

interface Form {
  source: Source;
  file: string;
  instrument: string;
  from: string;
  to: string;
  dataType: '' | 'bars' | 'ticks';
  limit: string;
  strategy: StrategyName;
  fast: string;
  slow: string;
  size: string;
  longOnly: boolean;
  contract: string;
  maxMode: string;
  pointKey: string;
  exitKey: string;
  quantity: string;
  cash: string;
  fee: string;
  perContract: string;
  slippage: string;
  closeAtEnd: boolean;
}

const INITIAL: Form = {
  source: 'file',
  file: '',
  instrument: 'BTC/USDT',
  from: '',
  to: '',
  dataType: '',
  limit: '',
  strategy: 'sma-cross',
  fast: '10',
  slow: '30',
  size: '1',
  longOnly: false,
  contract: 'NQ',
  maxMode: 'both',
  pointKey: '15_7_5_2',
  exitKey: '15_15',
  quantity: '1',
  cash: '1000000',
  fee: '0.0004',
  perContract: '',
  slippage: '0',
  closeAtEnd: false,
};

const num = (s: string): number | undefined => (s.trim() === '' ? undefined : Number(s));

/** The POST /api/backtests body for the form (README "Backtests as jobs"). */
export function requestBody(f: Form): Record<string, unknown> {
  const data: Record<string, unknown> =
    f.source === 'file' ? { file: f.file.trim() } : { instrument: f.instrument.trim(), from: f.from.trim(), to: f.to.trim() };
  if (f.dataType) data.type = f.dataType;
  if (num(f.limit) !== undefined) data.limit = num(f.limit);
  const strategy: Record<string, unknown> =
    f.strategy === 'sma-cross'
      ? { name: 'sma-cross', fast: num(f.fast), slow: num(f.slow), size: num(f.size), ...(f.longOnly ? { longOnly: true } : {}) }
      : { name: 'max', contract: f.contract, maxMode: f.maxMode, point_key: f.pointKey.trim(), exit_strategy_key: f.exitKey.trim(), quantity: num(f.quantity) };
  const fees: Record<string, number> = {};
  if (num(f.fee) !== undefined) fees.rate = num(f.fee) as number;
  if (num(f.perContract) !== undefined) fees.perContract = num(f.perContract) as number;
  return {
    data,
    strategy,
    ...(num(f.cash) !== undefined ? { cash: num(f.cash) } : {}),
    ...(Object.keys(fees).length ? { fees } : {}),
    ...(num(f.slippage) !== undefined ? { slippage: num(f.slippage) } : {}),
    ...(f.closeAtEnd ? { closeAtEnd: true } : {}),
  };
}

const seconds = (ms: number): UTCTimestamp => Math.floor(ms / 1000) as UTCTimestamp;

/** Equity and drawdown (from the running peak), one point per second at most. */
function curves(r: BacktestResult) {
  const equity: { time: UTCTimestamp; value: number }[] = [];
  const drawdown: { time: UTCTimestamp; value: number }[] = [];
  let peak = -Infinity;
  for (const p of r.equityCurve) {
    const time = seconds(p.ts);
    peak = Math.max(peak, p.equity);
    const dd = peak > 0 ? ((p.equity - peak) / peak) * 100 : 0;
    const last = equity[equity.length - 1];
    if (last && last.time >= time) {
      last.value = p.equity;
      (drawdown[drawdown.length - 1] as { value: number }).value = dd;
      continue;
    }
    equity.push({ time, value: p.equity });
    drawdown.push({ time, value: dd });
  }
  return { equity, drawdown };
}

function EquityChart({ result }: { result: BacktestResult }) {
  const box = useRef<HTMLDivElement>(null);
  const [points, setPoints] = useState(0);
  const [last, setLast] = useState<number | null>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const chart = createChart(el, {
      autoSize: true,
      layout: { background: { type: ColorType.Solid, color: '#0f141b' }, textColor: '#8b98a9', fontSize: 10, attributionLogo: false },
      grid: { vertLines: { color: '#1a222d' }, horzLines: { color: '#1a222d' } },
      rightPriceScale: { borderColor: '#26303d' },
      timeScale: { borderColor: '#26303d', timeVisible: true, secondsVisible: false },
      localization: { priceFormatter: moneyAxis },
    });
    const { equity, drawdown } = curves(result);
    const eq = chart.addSeries(LineSeries, { color: '#3d8bfd', lineWidth: 2, title: 'equity', priceLineVisible: false });
    eq.setData(equity);
    const dd = chart.addSeries(AreaSeries, { lineColor: '#ef5350', topColor: 'rgba(239,83,80,0.05)', bottomColor: 'rgba(239,83,80,0.4)', lineWidth: 1, title: 'drawdown %', priceLineVisible: false }, 1);
    dd.setData(drawdown);
    const panes = chart.panes();
    panes[0]?.setHeight(220);
    panes[1]?.setHeight(90);
    chart.timeScale().fitContent();
    setPoints(equity.length);
    setLast(equity[equity.length - 1]?.value ?? null);
    return () => chart.remove();
  }, [result]);
  return (
    <div className="chart" data-testid="equity-chart" data-points={points} data-last={last ?? ''}>
      <div className="chart-head">
        <strong>Equity</strong>
        <span className="muted">
          {points} points · drawdown % below (from the running peak)
        </span>
      </div>
      <div className="chart-box tall" ref={box} />
    </div>
  );
}

function Summary({ r }: { r: BacktestResult }) {
  const pnl = r.finalValue - r.startingCash;
  const items: [string, string, string?][] = [
    ['instrument', r.instrument],
    ['bars / ticks', `${fmtCount(r.bars)} / ${fmtCount(r.ticks)}`],
    ['period', `${fmtDateTime(r.from)} → ${fmtDateTime(r.to)}`],
    ['final value', fmt(r.finalValue), pnlClass(pnl)],
    ['return', `${fmt(r.returnPct ?? (pnl / r.startingCash) * 100)} %`, pnlClass(pnl)],
    ['closed P&L (net)', fmt(r.closedPnl), pnlClass(r.closedPnl)],
    ['fees', fmt(r.fees)],
    ['trades', `${r.closedTrades} (${r.winningTrades ?? '—'} W / ${r.losingTrades ?? '—'} L)`],
    ['win rate', r.winRate === null ? '—' : `${fmt(r.winRate * 100, 1)} %`],
    ['max drawdown', `${fmt(r.maxDrawdown)} (${fmt(r.maxDrawdownPct)} %)`, 'neg'],
    ['exposure', `${fmt(r.exposure * 100, 1)} %`],
    ['sharpe', r.sharpe === null ? '—' : fmt(r.sharpe)],
    ['fills', String(r.fills)],
    ['open position', r.openPosition ? `${r.openPosition.side} ${r.openPosition.qty} @ ${fmt(r.openPosition.avgPrice)} (${fmt(r.openPosition.unrealizedPnl)})` : 'flat'],
    ['speed', r.barsPerSecond ? `${fmtCount(r.barsPerSecond)} bars/s · kernel ${fmt(r.kernelMs ?? 0, 0)} ms · load ${fmt(r.loadMs ?? 0, 0)} ms` : '—'],
  ];
  return (
    <dl className="kv kv5" data-testid="backtest-summary">
      {items.map(([k, v, cls]) => (
        <div key={k} data-field={k.replace(/[^a-z]+/g, '-')}>
          <dt>{k}</dt>
          <dd className={cls ?? ''}>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

function TradeTable({ r }: { r: BacktestResult }) {
  return (
    <div className="scroll tall" data-testid="backtest-trades">
      <table>
        <thead>
          <tr>
            <th>#</th>
            <th>side</th>
            <th className="num">qty</th>
            <th>opened</th>
            <th className="num">entry</th>
            <th>closed</th>
            <th className="num">exit</th>
            <th className="num">gross</th>
            <th className="num">fees</th>
            <th className="num">net</th>
            <th>exit reason</th>
          </tr>
        </thead>
        <tbody>
          {r.trades.map((t, i) => (
            <tr key={i}>
              <td className="muted">{i + 1}</td>
              <td className={t.side === 'long' ? 'pos' : 'neg'}>{t.side}</td>
              <td className="num">{t.qty}</td>
              <td>{fmtDateTime(t.openedAt)}</td>
              <td className="num">{fmt(t.entryPrice)}</td>
              <td>{fmtDateTime(t.closedAt)}</td>
              <td className="num">{fmt(t.exitPrice)}</td>
              <td className={`num ${pnlClass(t.grossPnl)}`}>{fmt(t.grossPnl)}</td>
              <td className="num">{fmt(t.fees)}</td>
              <td className={`num ${pnlClass(t.netPnl)}`}>{fmt(t.netPnl)}</td>
              <td className="muted">{t.exitReason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {r.trades.length === 0 && <div className="muted small">no closed trades</div>}
    </div>
  );
}

export { withoutPaths } from '../withoutPaths';

interface DataChoices {
  files: { name: string; bytes: number; modified: string }[];
  store: { instrument: string; type: 'bars' | 'ticks'; intervalMs: number | null; count: number; from: string; to: string }[];
}

/** The import directory's files and the store's series (GET /api/backtests/data), null until known. */
function useDataChoices(): DataChoices | null {
  const [choices, setChoices] = useState<DataChoices | null>(null);
  useEffect(() => {
    let stopped = false;
    api<DataChoices>('/api/backtests/data')
      .then((c) => !stopped && setChoices(c))
      .catch(() => undefined);
    return () => {
      stopped = true;
    };
  }, []);
  return choices;
}

const fmtBytes = (n: number): string => (n >= 1_048_576 ? `${fmt(n / 1_048_576, 1)} MB` : `${fmt(n / 1024, 0)} kB`);

/** A number field that is not a number, named as the form names it; null when every one is. */
export function badNumber(f: Form): string | null {
  const fields: [keyof Form, string][] = [
    ['limit', 'limit'],
    ['fast', 'fast'],
    ['slow', 'slow'],
    ['size', 'size'],
    ['quantity', 'quantity'],
    ['cash', 'cash'],
    ['fee', 'fee'],
    ['perContract', 'fee per contract'],
    ['slippage', 'slippage'],
  ];
  for (const [k, label] of fields) {
    const v = String(f[k]).trim();
    if (v !== '' && !Number.isFinite(Number(v))) return `${label}: '${v}' is not a number`;
  }
  return null;
}

export function BacktestPage() {
  const [form, setForm] = useState<Form>(INITIAL);
  const [jobId, setJobId] = useState<string | null>(null);
  const [job, setJob] = useState<BacktestJob | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [jobs, setJobs] = useState<BacktestJob[]>([]);
  const set = <K extends keyof Form>(k: K, v: Form[K]) => setForm((f) => ({ ...f, [k]: v }));
  const choices = useDataChoices();

  const loadJobs = useCallback(() => {
    api<{ jobs: BacktestJob[] }>('/api/backtests')
      .then((a) => setJobs(a.jobs))
      .catch(() => undefined);
  }, []);
  useEffect(loadJobs, [loadJobs]);

  // Poll the job until it finishes.
  useEffect(() => {
    if (!jobId) return undefined;
    let cancelled = false;
    let timer: number | undefined;
    const poll = async () => {
      try {
        const j = await api<BacktestJob>(`/api/backtests/${encodeURIComponent(jobId)}`);
        if (cancelled) return;
        setJob(j);
        if (j.state === 'running') timer = window.setTimeout(() => void poll(), BACKTEST_POLL_MS);
        else loadJobs();
      } catch (e) {
        if (!cancelled) setError(withoutPaths((e as Error).message));
      }
    };
    void poll();
    return () => {
      cancelled = true;
      window.clearTimeout(timer);
    };
  }, [jobId, loadJobs]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const bad = badNumber(form);
    if (bad) return setError(bad);
    setError(null);
    setBusy(true);
    try {
      const a = await api<{ job_id: string }>('/api/backtests', { method: 'POST', json: requestBody(form) });
      setJob(null);
      setJobId(a.job_id);
      loadJobs();
    } catch (err) {
      setError(withoutPaths((err as Error).message));
    } finally {
      setBusy(false);
    }
  };

  const cancel = async () => {
    if (!jobId) return;
    try {
      await api(`/api/backtests/${encodeURIComponent(jobId)}`, { method: 'DELETE' });
    } catch (err) {
      setError(withoutPaths((err as Error).message));
    }
  };

  const running = job?.state === 'running' || (jobId !== null && job === null);
  const p = job?.progress;
  // A run over no data at all is a mistake in the choice of data, not a finished backtest.
  const empty = job?.state === 'done' && !!job.result && job.result.bars + job.result.ticks === 0;
  const label = empty
    ? `${job.job_id} · no data: 0 bars, 0 ticks`
    : job
    ? `${job.job_id} · ${job.state} · ${(p?.fraction ?? 0) * 100 >= 0 ? fmt((p?.fraction ?? 0) * 100, 1) : '—'} % · ${fmtCount(p?.bars ?? 0)} bars · ${fmtCount(p?.ticks ?? 0)} ticks${p?.ts ? ` · at ${fmtDateTime(p.ts)}` : ''}`
    : jobId
      ? `${jobId} · starting…`
      : '';

  return (
    <div className="grid">
      <section className="panel span4" data-testid="backtest-form">
        <h2>New backtest</h2>
        <form onSubmit={(e) => void submit(e)} className="form">
          <fieldset>
            <legend>Data</legend>
            <div className="seg" role="radiogroup" aria-label="data source">
              {(['file', 'store'] as const).map((s) => (
                <button key={s} type="button" role="radio" aria-checked={form.source === s} className={form.source === s ? 'on paper' : ''} onClick={() => set('source', s)}>
                  {s === 'file' ? 'File in import dir' : 'Market data store'}
                </button>
              ))}
            </div>
            {form.source === 'file' ? (
              <>
                <label>
                  file (relative to the import directory)
                  <input name="file" list="backtest-files" value={form.file} onChange={(e) => set('file', e.target.value)} placeholder={choices?.files[0]?.name ?? 'BTCUSDT-1m-2024.csv.gz'} />
                </label>
                <datalist id="backtest-files" data-testid="backtest-files">
                  {choices?.files.map((f) => (
                    <option key={f.name} value={f.name}>
                      {fmtBytes(f.bytes)}
                    </option>
                  ))}
                </datalist>
                <div className="small muted" data-testid="backtest-files-hint">
                  {choices === null ? '' : choices.files.length === 0 ? 'no data files in the import directory: upload one (Upload page) or copy it there' : `${choices.files.length} file${choices.files.length === 1 ? '' : 's'} in the import directory: pick from the list`}
                </div>
              </>
            ) : (
              <>
                <label>
                  instrument
                  <input name="instrument" list="backtest-series" value={form.instrument} onChange={(e) => set('instrument', e.target.value)} placeholder="BTC/USDT, ES, NQ…" />
                </label>
                <datalist id="backtest-series">
                  {[...new Set(choices?.store.map((x) => x.instrument) ?? [])].map((i) => (
                    <option key={i} value={i} />
                  ))}
                </datalist>
                <div className="row wrap small" data-testid="backtest-series">
                  {choices && choices.store.length === 0 && <span className="muted">nothing stored yet: upload ticks or bars (Upload page) first</span>}
                  {choices?.store.map((x) => (
                    <button
                      key={`${x.instrument}-${x.type}-${x.intervalMs ?? ''}`}
                      type="button"
                      data-series={x.instrument}
                      title="use this instrument and its whole stored range"
                      onClick={() => setForm((f) => ({ ...f, instrument: x.instrument, from: x.from.slice(0, 10), to: new Date(Date.parse(x.to) + (x.intervalMs ?? 1)).toISOString(), dataType: x.type }))}
                    >
                      {x.instrument} · {x.type}
                      {x.intervalMs ? ` ${x.intervalMs / 60_000} min` : ''} · {x.from.slice(0, 10)} → {x.to.slice(0, 10)} · {fmtCount(x.count)}
                    </button>
                  ))}
                </div>
                <div className="pair">
                  <label>
                    from
                    <input name="from" value={form.from} onChange={(e) => set('from', e.target.value)} placeholder="2024-01-01" />
                  </label>
                  <label>
                    to (exclusive)
                    <input name="to" value={form.to} onChange={(e) => set('to', e.target.value)} placeholder="2024-06-30" />
                  </label>
                </div>
              </>
            )}
            <div className="pair">
              <label>
                type
                <select name="dataType" value={form.dataType} onChange={(e) => set('dataType', e.target.value as Form['dataType'])}>
                  <option value="">default</option>
                  <option value="bars">bars</option>
                  <option value="ticks">ticks</option>
                </select>
              </label>
              <label>
                limit (rows)
                <input name="limit" value={form.limit} onChange={(e) => set('limit', e.target.value)} placeholder="all" inputMode="numeric" />
              </label>
            </div>
          </fieldset>
          <fieldset>
            <legend>Strategy</legend>
            <select name="strategy" aria-label="strategy" value={form.strategy} onChange={(e) => set('strategy', e.target.value as StrategyName)}>
              <option value="sma-cross">sma-cross</option>
              <option value="max">max</option>
            </select>
            {form.strategy === 'sma-cross' ? (
              <div className="pair">
                <label>
                  fast
                  <input name="fast" value={form.fast} onChange={(e) => set('fast', e.target.value)} inputMode="numeric" />
                </label>
                <label>
                  slow
                  <input name="slow" value={form.slow} onChange={(e) => set('slow', e.target.value)} inputMode="numeric" />
                </label>
                <label>
                  size
                  <input name="size" value={form.size} onChange={(e) => set('size', e.target.value)} inputMode="decimal" />
                </label>
                <label className="check">
                  <input type="checkbox" name="longOnly" checked={form.longOnly} onChange={(e) => set('longOnly', e.target.checked)} /> long only
                </label>
              </div>
            ) : (
              <div className="pair">
                <label>
                  contract
                  <select name="contract" value={form.contract} onChange={(e) => set('contract', e.target.value)}>
                    {['NQ', 'ES', 'MNQ', 'MES'].map((c) => (
                      <option key={c}>{c}</option>
                    ))}
                  </select>
                </label>
                <label>
                  maxMode
                  <select name="maxMode" value={form.maxMode} onChange={(e) => set('maxMode', e.target.value)}>
                    {['both', 'long', 'short'].map((c) => (
                      <option key={c}>{c}</option>
                    ))}
                  </select>
                </label>
                <label>
                  point_key
                  <input name="point_key" value={form.pointKey} onChange={(e) => set('pointKey', e.target.value)} />
                </label>
                <label>
                  exit_strategy_key
                  <input name="exit_strategy_key" value={form.exitKey} onChange={(e) => set('exitKey', e.target.value)} />
                </label>
                <label>
                  quantity
                  <input name="quantity" value={form.quantity} onChange={(e) => set('quantity', e.target.value)} inputMode="numeric" />
                </label>
              </div>
            )}
          </fieldset>
          <fieldset>
            <legend>Account</legend>
            <div className="pair">
              <label>
                cash
                <input name="cash" value={form.cash} onChange={(e) => set('cash', e.target.value)} inputMode="decimal" />
              </label>
              <label>
                fee (rate of notional)
                <input name="fee" value={form.fee} onChange={(e) => set('fee', e.target.value)} inputMode="decimal" />
              </label>
              <label>
                fee per contract
                <input name="perContract" value={form.perContract} onChange={(e) => set('perContract', e.target.value)} inputMode="decimal" placeholder="0" />
              </label>
              <label>
                slippage (ticks)
                <input name="slippage" value={form.slippage} onChange={(e) => set('slippage', e.target.value)} inputMode="decimal" />
              </label>
              <label className="check">
                <input type="checkbox" name="closeAtEnd" checked={form.closeAtEnd} onChange={(e) => set('closeAtEnd', e.target.checked)} /> close at end
              </label>
            </div>
          </fieldset>
          <div className="row">
            <button type="submit" className="primary" disabled={busy || running} data-testid="backtest-run">
              Run backtest
            </button>
            <button type="button" className="danger" disabled={!running} onClick={() => void cancel()} data-testid="backtest-cancel">
              Cancel
            </button>
          </div>
          {error && (
            <div className="error" role="alert" data-testid="backtest-error">
              {error}
            </div>
          )}
        </form>
        <h2 className="gap">Recent jobs</h2>
        <div className="scroll">
          <table data-testid="backtest-jobs">
            <tbody>
              {jobs.map((j) => (
                <tr key={j.job_id} className={j.job_id === jobId ? 'sel' : ''} onClick={() => setJobId(j.job_id)} style={{ cursor: 'pointer' }}>
                  <td>{j.job_id}</td>
                  <td className={j.state === 'failed' ? 'neg' : j.state === 'done' ? 'pos' : 'muted'}>{j.state}</td>
                  <td className="num">{fmt(j.progress.fraction * 100, 0)} %</td>
                  <td className="muted">{fmtDateTime(j.started_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {jobs.length === 0 && <div className="muted small">none since the server started</div>}
        </div>
      </section>
      <section className="panel span8" data-testid="backtest-result">
        <h2>
          Result<span className="muted">{job?.job_id ?? ''}</span>
        </h2>
        {(jobId || job) && <ProgressBar fraction={job?.progress.fraction ?? 0} label={label} state={empty ? 'failed' : job?.state} testId="backtest-progress" />}
        {empty && (
          <div className="error" role="alert" data-testid="backtest-empty">
            No bars or ticks in the chosen data{form.source === 'file' ? ` (file ${form.file.trim()})` : ` (${form.instrument.trim()} from ${form.from.trim() || 'the start'} to ${form.to.trim() || 'the end'})`}: pick a range the store holds, or
            import the data first (Upload page).
          </div>
        )}
        {job?.state === 'failed' && (
          <div className="error" role="alert" data-testid="backtest-failed">
            Failed: {withoutPaths(job.error ?? 'unknown error')}
          </div>
        )}
        {job?.state === 'cancelled' && <div className="muted">Cancelled{job.error ? `: ${job.error}` : ''}.</div>}
        {!jobId && <div className="muted">Choose data and a strategy, then Run. Progress, the equity curve, drawdown and trades appear here.</div>}
        {job?.result && !empty && (
          <>
            <Summary r={job.result} />
            <EquityChart result={job.result} />
            <BacktestCandles result={job.result} />
            <h2 className="gap">
              Trades<span className="muted">{job.result.trades.length}</span>
            </h2>
            <TradeTable r={job.result} />
          </>
        )}
      </section>
      <BacktestCompare jobs={jobs} />
      <SweepPanel base={() => requestBody(form)} onOpen={(id) => setJobId(id)} onDone={loadJobs} />
    </div>
  );
}
