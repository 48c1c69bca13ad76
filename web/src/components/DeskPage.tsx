import { useCallback, useEffect, useState } from 'react';
import { api, fmt, fmtClock, fmtDateClock, type StreamEvent } from '../api';
import { retryable, usePoll } from '../polling';
import { useBotWebSocket } from '../useBotWebSocket';
import { ConfirmDialog, type ConfirmRequest } from './ConfirmDialog';

/** The desk's state comes from the stream (DESK_UPDATE); polled every 15 s as a fallback, every second while the stream is down. */
export const DESK_POLL_MS = 1000;
export const DESK_RESYNC_MS = 15_000;
/** How long the answer to a control stays on screen. */
export const DESK_MESSAGE_MS = 8_000;

/** A position POST /api/exit-all did not exit, and why (README, Renko operator desk). */
export interface SkippedExit {
  asset: string;
  symbol?: string;
  position_id?: string;
  side?: string;
  qty?: number;
  code?: string;
  reason: string;
  retry_after_s?: number;
}

interface ExitAllAnswer {
  ok: boolean;
  error?: string;
  orders: { asset: string; order_id: string; side: string; qty: number }[];
  skipped: SkippedExit[];
}

interface Lock {
  active: boolean;
  until: number | string | null;
  remaining_s: number;
}

interface DeskAsset {
  asset: string;
  symbol: string;
  contract: string;
  zone: string;
  zone_direction: string | null;
  tempo: { token: string; last_6pt_bar_id: string | null };
  bars: Record<string, { color: string; bar_id: string; ts: number } | null>;
  heartbeat: { last_ts: number | null; age_s: number | null; fresh: boolean; source?: string | null };
  bar_source?: string | null;
  locks: { candle_5min: Lock; cooldown: Lock; exit: Lock; two_half: { automatic: boolean; engaged: boolean } };
  entry_allowed: boolean;
  entry_block: string | null;
  intent: { state: string };
  pending_order: Record<string, unknown> | null;
  preorder: Record<string, unknown> | null;
  position: Record<string, unknown> | null;
  trade_mode: string | null;
  entry_size_mode: string | null;
  scale_in_available: boolean;
  scale_ins: number;
  exits: {
    protect: { enabled: boolean; threshold: number };
    points_tp: { enabled: boolean; target: number };
    signal_tp: { armed: boolean; target: number; count: number };
    high_next_bar_exit: { armed: boolean };
    main_flip_exit: { enabled: boolean };
    four_pt_invalidation: { enabled: boolean };
    auto_exit: { enabled: boolean; timeframe: string };
    two_half_lock: { engaged: boolean };
  };
  last_exit: Record<string, unknown> | null;
}

interface DeskState {
  env: string;
  daily: { day: string; realized_pnl: number; daily_stop_usd: number; daily_stop_triggered: boolean; trades_used: number; trade_limit: number; trades_remaining: number; resets_in_s: number };
  assets: Record<string, DeskAsset>;
}

const mmss = (s: number): string => {
  const v = Math.max(0, Math.ceil(s));
  const h = Math.floor(v / 3600);
  const m = Math.floor((v % 3600) / 60);
  const sec = v % 60;
  return `${h ? `${h}:` : ''}${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
};

/** A desk position's fields in words: its labels, and its times as times (opened_at is epoch ms). */
const POSITION_LABELS: Record<string, string> = {
  side: 'side',
  qty: 'contracts',
  avg_price: 'average price',
  mark_price: 'mark price',
  open_points: 'open points',
  unrealized_pnl: 'unrealised P/L',
  opened_at: 'opened',
  id: 'position id',
};
export const positionLabel = (k: string): string => POSITION_LABELS[k] ?? k.replace(/_/g, ' ');
export const positionValue = (k: string, v: unknown): string =>
  typeof v === 'number' && /(^|_)(at|ts|time)$/.test(k) && v > 1e11 ? fmtDateClock(new Date(v)) : show(v);

const show = (v: unknown): string => (typeof v === 'number' ? fmt(v, Number.isInteger(v) ? 0 : 2) : v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** What each desk control does, in words (shown on hover; README "Renko operator desk"). */
export const DESK_HELP = {
  tradeMode: 'SCALP turns the points take-profit on; RUNNER turns the 6-point flip exit on',
  orderType: 'market enters now; pre-order waits for the next 6-point bar (and checks the tempo token then)',
  entrySize: '6pt risk = 5 contracts, 9pt risk = 3 contracts',
  direction: 'Leave on zone direction to follow the 8- and 12-point bars; a FREE zone needs BUY or SELL',
  enter: 'Send the entry: every gate is checked first (daily stop, cooldown, 5-minute candle lock, pending order, open position, heartbeat, tempo token, zone)',
  override: 'Allow an entry against the zone direction the 8- and 12-point bars agree on',
  exit: 'Close this asset’s position at market (refused during the exit lock right after an entry)',
  forceExit: 'Close at market even during the exit lock after an entry',
  scaleIn: 'Add to the open position (only when the desk allows it)',
  intent: 'Arm an intent: it becomes READY on the next 6-point bar and expires one bar later',
  intentCancel: 'Drop the armed intent',
  preorderCancel: 'Cancel the pre-order waiting for the next 6-point bar',
  protect: 'Protect exit: leave at market when open points fall to the threshold (−2.0 at once, or +0.5 once the trade was above +0.5)',
  protectThreshold: 'Switch the protect threshold between −2.0 and +0.5 points (and turn protect on)',
  pointsTp: 'Points take-profit: exit once open points reach the target (on by default in SCALP mode)',
  signalTp: 'Signal take-profit: exit on the Nth opposite 6-point bar (count / target)',
  signalTpReset: 'Reset the opposite-bar count of the signal take-profit',
  nextBar: '8-point next-bar exit: exit when the next 8-point bar prints, whatever its colour',
  flip: '6-point flip exit: exit on a 6-point bar against the position (on by default in RUNNER mode)',
  invalidation: '4-point invalidation: exit on a 4-point bar against the position',
  autoExit: 'Auto-exit: close when realised plus open P&L reaches the daily stop',
} as const;

function Flag({ on, label, onClick, title }: { on: boolean; label: string; onClick: () => void; title?: string }) {
  return (
    <button type="button" className={on ? 'on-flag' : ''} aria-pressed={on} onClick={onClick} title={title}>
      {label} {on ? 'ON' : 'off'}
    </button>
  );
}

function AssetCard({ a, elapsed, send }: { a: DeskAsset; elapsed: number; send: (path: string, body: Record<string, unknown>, what: string) => void }) {
  const [tradeMode, setTradeMode] = useState('SCALP');
  const [orderType, setOrderType] = useState('market');
  const [size, setSize] = useState('6pt');
  const [direction, setDirection] = useState('');
  const [override, setOverride] = useState(false);
  const locks: [string, Lock][] = [
    ['5-min candle', a.locks.candle_5min],
    ['cooldown', a.locks.cooldown],
    ['exit lock', a.locks.exit],
  ];
  const body = { asset: a.asset };
  const x = a.exits;
  return (
    <section className="panel span6 desk-asset" data-testid={`desk-${a.asset}`}>
      <h2>
        {a.asset}
        <span className="muted">
          {a.symbol} · {a.contract}
        </span>
      </h2>
      <div className="row wrap">
        <span className={`state ${a.zone === 'NORMAL' ? 's-scanning' : 's-paused'}`} data-testid="desk-zone">
          {a.zone}
          {a.zone_direction ? ` ${a.zone_direction}` : ''}
        </span>
        <span className={`state ${a.tempo.token === 'READY' ? 's-scanning' : 's-idle'}`} data-testid="desk-tempo">
          tempo {a.tempo.token}
        </span>
        <span className={a.heartbeat.fresh ? 'pos' : 'neg'} data-testid="desk-heartbeat" title={`bars from ${a.bar_source ?? '?'}; last heartbeat from ${a.heartbeat.source ?? 'nowhere yet'}`}>
          heartbeat {a.heartbeat.age_s === null ? '—' : `${a.heartbeat.age_s}s`}
          {a.heartbeat.source ? ` (${a.heartbeat.source === 'ticks' ? 'feed' : 'TradingView'})` : ''}
        </span>
        {a.bar_source && <span className="muted small">bars: {a.bar_source}</span>}
        <span className={a.entry_allowed ? 'pos' : 'error'} data-testid="desk-entry">
          {a.entry_allowed ? 'entry allowed' : a.entry_block}
        </span>
      </div>
      <div className="bricks">
        {['1', '2.5', '4', '6', '8', '12'].map((k) => {
          const b = a.bars[k];
          return (
            <span key={k} className={`brick ${b?.color ?? ''}`} title={b?.bar_id ?? 'no bar'}>
              {k}pt
            </span>
          );
        })}
      </div>
      <table className="locks">
        <tbody>
          {locks.map(([name, l]) => (
            <tr key={name}>
              <td>{name}</td>
              <td className={l.active ? 'warn' : 'muted'}>{l.active ? `LOCKED ${mmss(l.remaining_s - elapsed)}` : 'free'}</td>
            </tr>
          ))}
          <tr>
            <td>2.5pt lock</td>
            <td className="muted">{a.locks.two_half.engaged ? 'ENGAGED (breakeven exit)' : 'automatic, not engaged'}</td>
          </tr>
          <tr>
            <td>intent</td>
            <td>{a.intent.state}</td>
          </tr>
        </tbody>
      </table>
      <div className="desk-pos" data-testid="desk-position">
        {a.position ? (
          <dl className="kv kv4">
            {Object.entries(a.position)
              .filter(([, v]) => typeof v !== 'object' || v === null)
              .slice(0, 12)
              .map(([k, v]) => (
                <div key={k}>
                  <dt>{positionLabel(k)}</dt>
                  <dd className={/pnl|points/i.test(k) && typeof v === 'number' ? (v > 0 ? 'pos' : v < 0 ? 'neg' : '') : ''} data-field={k}>
                    {positionValue(k, v)}
                  </dd>
                </div>
              ))}
          </dl>
        ) : (
          <span className="muted">flat{a.pending_order ? ` · pending order ${show(a.pending_order.id ?? a.pending_order)}` : ''}{a.preorder ? ' · pre-order armed' : ''}</span>
        )}
      </div>
      <div className="row wrap">
        <select value={tradeMode} onChange={(e) => setTradeMode(e.target.value)} aria-label="trade mode" title={DESK_HELP.tradeMode}>
          <option>SCALP</option>
          <option>RUNNER</option>
        </select>
        <select value={orderType} onChange={(e) => setOrderType(e.target.value)} aria-label="order type" title={DESK_HELP.orderType}>
          <option value="market">market</option>
          <option value="preorder">pre-order</option>
        </select>
        <select value={size} onChange={(e) => setSize(e.target.value)} aria-label="entry size" title={DESK_HELP.entrySize}>
          <option value="6pt">6pt (5)</option>
          <option value="9pt">9pt (3)</option>
        </select>
        <select value={direction} onChange={(e) => setDirection(e.target.value)} aria-label="direction" title={DESK_HELP.direction}>
          <option value="">zone direction</option>
          <option value="BUY">BUY</option>
          <option value="SELL">SELL</option>
        </select>
        <label className="inline">
          <input type="checkbox" checked={override} onChange={(e) => setOverride(e.target.checked)} title={DESK_HELP.override} /> override
        </label>
        <button
          type="button"
          className="primary"
          data-testid="desk-enter"
          title={DESK_HELP.enter}
          onClick={() =>
            send(
              '/api/orders',
              { ...body, trade_mode: tradeMode, order_type: orderType, entry_size_mode: size, ...(direction ? { direction } : {}), ...(override ? { entry_override: true } : {}) },
              `${a.asset} entry`,
            )
          }
        >
          Enter
        </button>
      </div>
      <div className="row wrap">
        <button type="button" className="danger" title={DESK_HELP.exit} onClick={() => send('/api/exit', body, `${a.asset} exit`)}>
          Exit
        </button>
        <button type="button" title={DESK_HELP.forceExit} onClick={() => send('/api/exit', { ...body, force: true }, `${a.asset} forced exit`)}>
          Exit (force)
        </button>
        <button type="button" title={DESK_HELP.scaleIn} disabled={!a.scale_in_available} onClick={() => send('/api/scale-in', body, `${a.asset} scale-in`)}>
          Scale in
        </button>
        <button type="button" title={DESK_HELP.intent} onClick={() => send('/api/intent', body, `${a.asset} intent`)}>
          Intent
        </button>
        <button type="button" title={DESK_HELP.intentCancel} onClick={() => send('/api/intent/cancel', body, `${a.asset} intent cancel`)}>
          Cancel intent
        </button>
        <button type="button" title={DESK_HELP.preorderCancel} onClick={() => send('/api/preorder/cancel', body, `${a.asset} pre-order cancel`)}>
          Cancel pre-order
        </button>
      </div>
      <div className="row wrap">
        <Flag on={x.protect.enabled} label={`protect ${x.protect.threshold}`} title={DESK_HELP.protect} onClick={() => send('/api/protect', { ...body, enabled: !x.protect.enabled }, 'protect')} />
        <button type="button" title={DESK_HELP.protectThreshold} onClick={() => send('/api/protect', { ...body, enabled: true, threshold: x.protect.threshold === -2 ? 0.5 : -2 }, 'protect threshold')}>
          → {x.protect.threshold === -2 ? '+0.5' : '−2.0'}
        </button>
        <Flag on={x.points_tp.enabled} label={`points TP ${x.points_tp.target}`} title={DESK_HELP.pointsTp} onClick={() => send('/api/points-take-profit', { ...body, enabled: !x.points_tp.enabled }, 'points TP')} />
        <Flag on={x.signal_tp.armed} label={`signal TP ${x.signal_tp.count}/${x.signal_tp.target}`} title={DESK_HELP.signalTp} onClick={() => send('/api/take-profit', { ...body, tp_arm: 'toggle' }, 'signal TP')} />
        <button type="button" title={DESK_HELP.signalTpReset} onClick={() => send('/api/take-profit', { ...body, reset: true }, 'signal TP reset')}>
          reset count
        </button>
        <Flag on={x.high_next_bar_exit.armed} label="8pt next-bar" title={DESK_HELP.nextBar} onClick={() => send('/api/high-next-bar-exit', { ...body, enabled: !x.high_next_bar_exit.armed }, '8pt next-bar exit')} />
        <Flag on={x.main_flip_exit.enabled} label="6pt flip" title={DESK_HELP.flip} onClick={() => send('/api/main-flip-exit', { ...body, enabled: !x.main_flip_exit.enabled }, '6pt flip exit')} />
        <Flag on={x.four_pt_invalidation.enabled} label="4pt invalid." title={DESK_HELP.invalidation} onClick={() => send('/api/four-pt-invalidation', { ...body, enabled: !x.four_pt_invalidation.enabled }, '4pt invalidation')} />
        <Flag on={x.auto_exit.enabled} label="auto-exit" title={DESK_HELP.autoExit} onClick={() => send('/api/auto-exit', { ...body, enabled: !x.auto_exit.enabled }, 'auto-exit')} />
      </div>
      {a.last_exit && <div className="muted small">last exit: {show(a.last_exit)}</div>}
    </section>
  );
}

export function DeskPage() {
  const [state, setState] = useState<DeskState | null>(null);
  const [fetchedAt, setFetchedAt] = useState(0);
  const [now, setNow] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const [skipped, setSkipped] = useState<SkippedExit[]>([]);

  useEffect(() => {
    if (!message) return undefined;
    const timer = window.setTimeout(() => setMessage(null), DESK_MESSAGE_MS);
    return () => window.clearTimeout(timer);
  }, [message]);

  // A skipped position that is flat now (exited later, by hand or by a rule) is no longer news.
  const openAssets = state ? Object.values(state.assets).filter((a) => a.position).map((a) => a.asset).join('|') : null;
  useEffect(() => {
    if (openAssets === null) return;
    const open = openAssets.split('|');
    setSkipped((list) => (list.some((x) => !open.includes(x.asset)) ? list.filter((x) => open.includes(x.asset)) : list));
  }, [openAssets]);

  const apply = useCallback((s: DeskState) => {
    setState({ env: s.env, daily: s.daily, assets: s.assets ?? {} });
    setFetchedAt(Date.now());
    setError(null);
  }, []);
  const load = useCallback(async () => {
    try {
      apply(await api<DeskState>('/api/state'));
    } catch (e) {
      // Refused (429) or unreachable: usePoll asks again later and later; the header says why.
      if (retryable(e)) throw e;
      setError((e as Error).message);
    }
  }, [apply]);
  // Pushed on /ws as DESK_UPDATE (opt-in: this page's own connection asks for that type alone).
  const onMessage = useCallback(
    (m: StreamEvent) => {
      if (m.type === 'DESK_UPDATE') apply((m.data ?? m) as DeskState);
    },
    [apply],
  );
  const streamUp = useBotWebSocket(onMessage, true, 'DESK_UPDATE').status === 'open';
  // Controls are answered by the stream; read back over HTTP only while it is down.
  const refresh = useCallback(() => (streamUp ? undefined : load().catch(() => undefined)), [load, streamUp]);
  // Polled only while the browser tab is visible, backing off on refusals (issue 16 item 1); the
  // interval changing restarts the loop, so a (re)connected stream starts from a fresh read.
  const polling = usePoll(load, streamUp ? DESK_RESYNC_MS : DESK_POLL_MS);

  useEffect(() => {
    const tick = window.setInterval(() => setNow(Date.now()), 250);
    return () => window.clearInterval(tick);
  }, []);

  const send = useCallback(
    (path: string, body: Record<string, unknown>, what: string) => {
      api<{ ok: boolean; error?: string; message?: string }>(path, { method: 'POST', json: body })
        .then((r) => setMessage(r.ok === false ? { text: `${what}: ${r.error ?? 'refused'}`, error: true } : { text: `${what}: ${r.message ?? 'ok'}`, error: false }))
        .catch((e: Error) => setMessage({ text: `${what}: ${e.message}`, error: true }))
        .finally(() => void refresh());
    },
    [refresh],
  );

  const exitAll = useCallback(
    (force: boolean) => {
      setSkipped([]);
      api<ExitAllAnswer>('/api/exit-all', { method: 'POST', json: force ? { force: true } : {} })
        .then((r) => {
          const placed = r.orders.length === 0 ? 'no exit placed' : `${r.orders.length} exit(s) placed (${r.orders.map((o) => o.asset).join(', ')})`;
          setSkipped(r.skipped ?? []);
          setMessage(r.ok ? { text: `exit all: ${r.orders.length === 0 ? 'nothing open' : placed}`, error: false } : { text: `exit all: ${placed}; ${r.skipped.length} NOT exited`, error: true });
        })
        .catch((e: Error) => setMessage({ text: `exit all: ${e.message}`, error: true }))
        .finally(() => void refresh());
    },
    [refresh],
  );

  const elapsed = fetchedAt && now > fetchedAt ? (now - fetchedAt) / 1000 : 0;
  if (!state) return <div className="grid">{error ? <div className="panel span12 error">{error}</div> : <div className="panel span12 muted">loading the desk…</div>}</div>;
  const d = state.daily;
  const assets = Object.values(state.assets);
  return (
    <div className="grid" data-testid="desk">
      <section className="panel span12">
        <h2>
          Renko operator desk{' '}
          <span className={streamUp ? 'muted small' : 'warn small'} data-testid="desk-stream" data-live={streamUp}>
            {streamUp ? 'live' : 'stream down — polling'}
          </span>
        </h2>
        <div className="row wrap">
          <div className="seg" role="radiogroup" aria-label="environment">
            {(['DEMO', 'LIVE'] as const).map((env) => (
              <button
                key={env}
                type="button"
                role="radio"
                aria-checked={state.env === env}
                className={state.env === env ? `on ${env === 'LIVE' ? 'live' : 'paper'}` : ''}
                onClick={() =>
                  env === state.env
                    ? undefined
                    : env === 'LIVE'
                      ? setConfirm({ title: 'Switch the desk to LIVE', message: 'Trade the desk with REAL money (LIVE environment)?', confirmLabel: 'Go LIVE', danger: true, onConfirm: () => send('/api/env', { env }, 'environment') })
                      : send('/api/env', { env }, 'environment')
                }
              >
                {env}
              </button>
            ))}
          </div>
          <span>
            day {d.day}: P&amp;L <b className={d.realized_pnl > 0 ? 'pos' : d.realized_pnl < 0 ? 'neg' : ''}>{fmt(d.realized_pnl)}</b> / stop −{fmt(d.daily_stop_usd, 0)}
            {d.daily_stop_triggered && <b className="error"> DAILY STOP</b>}
          </span>
          <span>
            trades {d.trades_used}/{d.trade_limit} ({d.trades_remaining} left)
          </span>
          <span className="muted">resets in {mmss(d.resets_in_s - elapsed)}</span>
          <span className="spacer" />
          <button type="button" onClick={() => send('/api/trade-limit/consume', {}, 'trade limit')}>
            Consume trade slot
          </button>
          <button
            type="button"
            className="danger"
            data-testid="desk-exit-all"
            onClick={() => setConfirm({ title: 'Exit all', message: 'Close every open desk position at market?', confirmLabel: 'Exit all', danger: true, onConfirm: () => exitAll(false) })}
          >
            Exit all
          </button>
        </div>
        {error && <div className="error">{error}</div>}
        {polling.failures > 0 && (
          <div className="warn small" data-testid="desk-busy">
            server busy or away — the figures are from {fmtClock(new Date(fetchedAt))}, retrying
          </div>
        )}
        {message && (
          <div className={message.error ? 'error' : 'pos'} role={message.error ? 'alert' : 'status'} data-testid="desk-message">
            {message.text}
          </div>
        )}
        {skipped.length > 0 && (
          <div className="desk-skipped" data-testid="desk-skipped">
            <b className="error">Still open — not exited:</b>
            <ul>
              {skipped.map((x) => (
                <li key={x.asset} data-asset={x.asset} data-code={x.code}>
                  <b>{x.asset}</b>
                  {x.side ? ` ${x.side} ${x.qty ?? ''} ${x.symbol ?? ''}` : ''}: {x.reason}
                </li>
              ))}
            </ul>
            <div className="row">
              <button
                type="button"
                className="danger"
                data-testid="desk-exit-all-force"
                onClick={() => setConfirm({ title: 'Force exit all', message: 'Override the exit lock and close every open desk position at market?', confirmLabel: 'Force exit all', danger: true, onConfirm: () => exitAll(true) })}
              >
                Exit all (force)
              </button>
              <button type="button" onClick={() => setSkipped([])}>
                Dismiss
              </button>
            </div>
          </div>
        )}
      </section>
      {assets.map((a) => (
        <AssetCard key={a.asset} a={a} elapsed={elapsed} send={send} />
      ))}
      {assets.length === 0 && <div className="panel span12 muted">The Renko desk is off (renkoDesk in the configuration).</div>}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </div>
  );
}
