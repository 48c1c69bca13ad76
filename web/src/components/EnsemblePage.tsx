// The ensemble coordinator (issue 16 item 13): its status, each model's state, confidence and
// latency, the latest decision and the circuit breaker, from the coordinator's own WebSocket.
import { fmt, fmtCount, fmtDateTime, fmtTime, pnlClass } from '../api';
import { useCoordinator, type StatusUpdate } from '../useCoordinator';
import '../panels.css';

const uptime = (s: number): string => {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${Math.floor(s % 60)} s` : `${Math.floor(s)} s`;
};

const pct = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined ? '—' : `${fmt(v * 100, digits)} %`);

function Meter({ value, testId }: { value: number | null; testId?: string }) {
  const w = value === null ? 0 : Math.max(0, Math.min(1, value)) * 100;
  return (
    <span className="meter" data-testid={testId} data-value={value ?? ''} title={pct(value)}>
      <span style={{ width: `${w}%` }} />
    </span>
  );
}

function Kv({ items, testId }: { items: [string, string, string?][]; testId?: string }) {
  return (
    <dl className="kv" data-testid={testId}>
      {items.map(([k, v, cls]) => (
        <div key={k} data-field={k.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}>
          <dt>{k}</dt>
          <dd className={cls ?? ''}>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

function Status({ s }: { s: StatusUpdate }) {
  const c = s.coordinator;
  const breaker = c.circuit_breaker === 'active';
  const action = s.decision.action.toLowerCase();
  return (
    <>
      <section className="panel span4" data-testid="ensemble-coordinator">
        <h2>
          Coordinator<span className="muted">{c.symbol}</span>
        </h2>
        <Kv
          items={[
            ['status', c.status, c.status === 'running' ? 'pos' : 'neg'],
            ['mode', `${c.dry_run ? 'dry run (no orders)' : 'trading'}${c.testnet ? ' · testnet' : ''}`],
            ['uptime', uptime(c.uptime_seconds)],
            ['open trades', String(c.open_trades)],
            ['stream clients', String(c.websocket_clients)],
            ['cpu / memory', `${fmt(c.cpu_usage, 1)} % · ${fmt(c.memory_usage, 0)} MB`],
          ]}
        />
      </section>
      <section className="panel span4" data-testid="ensemble-decision">
        <h2>
          Latest decision<span className="muted">the models’ answers combined, then the risk check</span>
        </h2>
        <div className="decision">
          <b className={action === 'long' ? 'pos' : action === 'short' ? 'neg' : 'muted'} data-testid="ensemble-action">
            {action.toUpperCase()}
          </b>
          <Meter value={s.decision.confidence} testId="ensemble-confidence" />
          <span>{pct(s.decision.confidence)} confidence</span>
        </div>
        <Kv
          items={[
            ['risk check', s.decision.risk_approved ? 'approved' : action === 'hold' ? 'nothing to approve' : 'refused', s.decision.risk_approved ? 'pos' : ''],
            ['price', fmt(s.market.price)],
            ['RSI', fmt(s.market.rsi, 1)],
            ['24 h volume', fmt(s.market.volume_24h, 0)],
          ]}
        />
      </section>
      <section className="panel span4" data-testid="ensemble-breaker">
        <h2>
          Circuit breaker<span className="muted">daily loss, losing streak, model errors, models online</span>
        </h2>
        <div className="decision">
          <b className={breaker ? 'neg' : 'pos'} data-testid="ensemble-breaker-state">
            {breaker ? 'ACTIVE — no new entries' : 'NORMAL'}
          </b>
        </div>
        <Kv
          items={[
            ['total P&L', fmt(s.performance.total_pnl), pnlClass(s.performance.total_pnl)],
            ['today', fmt(s.performance.daily_pnl), pnlClass(s.performance.daily_pnl)],
            ['win rate', pct(s.performance.win_rate)],
            ['trades', String(s.performance.total_trades)],
          ]}
        />
      </section>
      <section className="panel span12" data-testid="ensemble-models">
        <h2>
          Models<span className="muted">{s.models.filter((m) => m.online).length} of {s.models.length} online</span>
        </h2>
        <div className="scroll">
          <table>
            <thead>
              <tr>
                <th>model</th>
                <th>state</th>
                <th>confidence</th>
                <th className="num">latency</th>
                <th>last prediction</th>
                <th>version</th>
                <th>type</th>
                <th className="num">samples</th>
              </tr>
            </thead>
            <tbody>
              {s.models.map((m) => (
                <tr key={m.name} data-model={m.name} data-online={m.online ? 'true' : 'false'}>
                  <td>
                    <b>{m.name}</b>
                  </td>
                  <td className={m.online ? 'pos' : 'neg'}>
                    ● {m.status}
                    {m.training ? <span className="warn"> · training</span> : null}
                  </td>
                  <td>
                    <Meter value={m.confidence} /> <span className="small">{pct(m.confidence)}</span>
                  </td>
                  <td className="num" data-field="latency">
                    {m.latency_ms === null ? '—' : `${fmt(m.latency_ms, m.latency_ms < 10 ? 2 : 0)} ms`}
                  </td>
                  <td className="small">{fmtDateTime(m.last_prediction)}</td>
                  <td className="small muted">{m.version ?? '—'}</td>
                  <td className="small muted">{m.model_type ?? '—'}</td>
                  <td className="num">{m.samples_trained === undefined || m.samples_trained === null ? '—' : fmtCount(m.samples_trained)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {s.models.length === 0 && <div className="muted small">no model endpoints configured (ensemble.model_endpoints)</div>}
        </div>
      </section>
    </>
  );
}

export function EnsemblePage() {
  const c = useCoordinator();
  if (c.phase === 'loading')
    return (
      <div className="grid" data-testid="ensemble-page" data-phase="loading">
        <section className="panel span12 muted">loading…</section>
      </div>
    );
  if (c.phase === 'disabled' || c.phase === 'error')
    return (
      <div className="grid" data-testid="ensemble-page" data-phase={c.phase}>
        <section className="panel span12" data-testid="ensemble-disabled">
          <h2>Ensemble</h2>
          {c.phase === 'disabled' ? (
            <>
              <h3>Ensemble disabled</h3>
              <p className="muted">
                The machine-learning coordinator is not running on this server (<code>ensemble.enabled</code> is false). Set <code>ensemble.enabled: true</code> and its model endpoints in the configuration
                and restart: this page then shows the coordinator, each model’s state, confidence and latency, the latest decision and the circuit breaker (README “Ensemble coordinator”).
              </p>
            </>
          ) : (
            <p className="error">Cannot ask the server whether the ensemble runs: {c.message}</p>
          )}
        </section>
      </div>
    );
  return (
    <div className={c.phase === 'closed' ? 'grid stale' : 'grid'} data-testid="ensemble-page" data-phase={c.phase}>
      <section className="panel span12 small" data-testid="ensemble-stream">
        <span className={c.phase === 'open' ? 'pos' : c.phase === 'closed' ? 'neg' : 'warn'}>
          ● stream {c.phase === 'open' ? 'live' : c.phase === 'waiting' ? 'connected, waiting for the first status' : c.phase === 'closed' ? 'closed — reconnecting, figures are stale' : 'connecting…'}
        </span>
        {c.welcome ? <span className="muted"> · {c.welcome}</span> : null}
        {c.status ? <span className="muted"> · status of {fmtTime(c.status.timestamp)}</span> : null}
      </section>
      {c.status ? <Status s={c.status} /> : <section className="panel span12 muted">waiting for the coordinator’s first status_update…</section>}
    </div>
  );
}
