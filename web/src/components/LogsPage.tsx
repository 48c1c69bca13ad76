import { useCallback, useEffect, useState } from 'react';
import { api, fmt, type LogEntry } from '../api';
import { retryable, usePoll } from '../polling';
import { LogList } from './LogList';
import { PresetsPanel } from './PresetsPage';

const LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'];
export const LOGS_POLL_MS = 3000;
export const METRICS_POLL_MS = 5000;

interface Stat {
  count: number;
  mean: number | null;
  min: number | null;
  max: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  last: number | null;
}

interface MetricsSummary {
  performance: Record<string, number>;
  engine: { cycle_time: Stat; positions: Stat; open_positions?: number };
  trading: Record<string, unknown> & { events?: Stat; pnl?: Stat };
}

function LogsPanel() {
  const [level, setLevel] = useState('INFO');
  const [component, setComponent] = useState('');
  const [limit, setLimit] = useState('200');
  const [auto, setAuto] = useState(true);
  const [entries, setEntries] = useState<LogEntry[]>([]);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    const q = new URLSearchParams();
    if (level) q.set('level', level);
    if (component.trim()) q.set('component', component.trim());
    if (limit.trim()) q.set('limit', limit.trim());
    try {
      const a = await api<LogEntry[] | { entries?: LogEntry[]; logs?: LogEntry[] }>(`/api/logs?${q.toString()}`);
      setEntries(Array.isArray(a) ? a : (a.entries ?? a.logs ?? []));
      setError(null);
    } catch (e) {
      // Refused (429) or unreachable: asked again later (usePoll), not shown as an error.
      if (retryable(e)) throw e;
      setError((e as Error).message);
    }
  }, [level, component, limit]);

  // Every 3 s while shown and the browser tab is visible (usePoll); once per filter change otherwise.
  const polling = usePoll(load, LOGS_POLL_MS, auto, `${level}|${component}|${limit}`);
  useEffect(() => {
    if (!auto) load().catch(() => undefined);
  }, [load, auto]);

  return (
    <section className="panel span8" data-testid="logs">
      <h2>
        Logs<span className="muted">{entries.length} entries, newest first; click a line for its details</span>
      </h2>
      <div className="row wrap">
        <label className="inline">
          level ≥
          <select value={level} onChange={(e) => setLevel(e.target.value)} aria-label="level">
            {LEVELS.map((l) => (
              <option key={l}>{l}</option>
            ))}
          </select>
        </label>
        <label className="inline">
          component
          <input value={component} onChange={(e) => setComponent(e.target.value)} placeholder="any" size={12} aria-label="component" />
        </label>
        <label className="inline">
          limit
          <input value={limit} onChange={(e) => setLimit(e.target.value)} size={5} aria-label="limit" inputMode="numeric" />
        </label>
        <label className="inline">
          <input type="checkbox" checked={auto} onChange={(e) => setAuto(e.target.checked)} /> auto-refresh
        </label>
        <button type="button" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      {polling.failures > 0 && (
        <div className="warn small" data-testid="logs-busy">
          server busy or away — retrying
        </div>
      )}
      {error && (
        <div className="error" role="alert" data-testid="logs-error">
          {error}
        </div>
      )}
      <div className="scroll tall">
        <LogList
          testid="log-entries"
          lines={entries.map((e) => ({
            key: String(e.id),
            time: e.timestamp,
            tag: e.level,
            tagClass: `lv-${e.level.toLowerCase()}`,
            summary: (
              <>
                <span className="muted">{e.component}</span> {e.message}
              </>
            ),
            detail: (
              <>
                {e.component}: {e.message}
                {e.data ? `\n${JSON.stringify(e.data, null, 2)}` : ''}
              </>
            ),
          }))}
        />
      </div>
    </section>
  );
}

const statRow = (name: string, s: Stat | undefined, digits = 2) => (
  <tr key={name}>
    <td>{name}</td>
    <td className="num">{s?.count ?? '—'}</td>
    <td className="num">{fmt(s?.mean, digits)}</td>
    <td className="num">{fmt(s?.p50, digits)}</td>
    <td className="num">{fmt(s?.p95, digits)}</td>
    <td className="num">{fmt(s?.max, digits)}</td>
  </tr>
);

function MetricsPanel() {
  const [m, setM] = useState<MetricsSummary | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      setM(await api<MetricsSummary>('/api/metrics/summary'));
      setError(null);
    } catch (e) {
      if (retryable(e)) throw e;
      setError((e as Error).message);
    }
  }, []);
  usePoll(load, METRICS_POLL_MS);
  const p = m?.performance ?? {};
  const t = m?.trading ?? {};
  const n = (k: string, d = 2) => fmt(typeof t[k] === 'number' ? (t[k] as number) : null, d);
  return (
    <section className="panel span4" data-testid="metrics">
      <h2>Metrics</h2>
      {error && <div className="error">{error}</div>}
      <dl className="kv">
        {(
          [
            ['cpu %', fmt(p.cpu_percent, 1)],
            ['memory MB', fmt(p.memory_used_mb, 0)],
            ['memory %', fmt(p.memory_percent, 1)],
            ['disk %', fmt(p.disk_usage_percent, 1)],
            ['threads', String(p.active_threads ?? '—')],
            ['connections', String(p.network_connections ?? '—')],
            ['trades', String(t.total_trades ?? '—')],
            ['win rate', t.win_rate == null ? '—' : `${fmt((t.win_rate as number) * 100, 1)} %`],
            ['profit factor', n('profit_factor')],
            ['net P&L', n('net_pnl')],
            ['avg R', n('avg_r')],
            ['daily R', n('daily_r')],
            ['max DD', n('max_drawdown')],
            ['loss streak', `${String(t.consecutive_losses ?? '—')} (max ${String(t.max_consecutive_losses ?? '—')})`],
            ['open pos', String(m?.engine.open_positions ?? '—')],
          ] as [string, string][]
        ).map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      <table className="gap">
        <thead>
          <tr>
            <th>series</th>
            <th className="num">n</th>
            <th className="num">mean</th>
            <th className="num">p50</th>
            <th className="num">p95</th>
            <th className="num">max</th>
          </tr>
        </thead>
        <tbody>
          {statRow('cycle time ms', m?.engine.cycle_time)}
          {statRow('positions', m?.engine.positions, 0)}
          {statRow('events / min', m?.trading.events, 1)}
          {statRow('trade P&L', m?.trading.pnl)}
        </tbody>
      </table>
    </section>
  );
}

export function LogsPage() {
  return (
    <div className="grid">
      <LogsPanel />
      <MetricsPanel />
    </div>
  );
}

export function PresetsPage() {
  return (
    <div className="grid">
      <PresetsPanel />
    </div>
  );
}
