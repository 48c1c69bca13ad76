import { memo, useCallback, useEffect, useRef, useState } from 'react';
import { api, type CommandResult, type EngineStatus, type PresetInfo } from '../api';
import { retryable, usePoll } from '../polling';
import type { EngineUpdate } from '../useDashboardData';
import { ConfirmDialog, type ConfirmRequest } from './ConfirmDialog';

const ROUTES: Record<string, string> = {
  start: 'start',
  stop: 'stop',
  pause: 'pause',
  resume: 'resume',
  emergency_stop: 'emergency-stop',
  reload: 'reload',
};
const LABELS: Record<string, string> = { emergency_stop: 'Emergency stop' };
const label = (c: string): string => LABELS[c] ?? c.charAt(0).toUpperCase() + c.slice(1);
/**
 * The engine's state changes arrive over the WebSocket (ENGINE_UPDATE, issue 16 item 1); the poll
 * only refreshes what the stream does not carry (the commands, the bots outside the engine).
 */
export const ENGINE_POLL_MS = 15_000;

interface AccountsAnswer {
  accounts: { id: string; bots?: { id: string; running: boolean }[] }[];
}

export const EngineControls = memo(function EngineControls({ active = true, offline = false, pushed = null }: { active?: boolean; offline?: boolean; pushed?: EngineUpdate | null }) {
  const [status, setStatus] = useState<EngineStatus | null>(null);
  const [commands, setCommands] = useState<string[]>([]);
  const [presets, setPresets] = useState<PresetInfo[]>([]);
  const [preset, setPreset] = useState('');
  const [mode, setMode] = useState<'paper' | 'live'>('paper');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);

  const [bots, setBots] = useState<{ id: string; account: string }[]>([]);
  const refresh = useCallback(async () => {
    const [s, c, a] = await Promise.all([
      api<EngineStatus>('/api/engine/status'),
      api<{ commands: string[] }>('/api/engine/commands'),
      api<AccountsAnswer>('/api/accounts').catch((e: unknown) => (retryable(e) ? Promise.reject(e) : null)),
    ]);
    setStatus(s);
    setCommands(c.commands);
    // The bots trading outside the engine (the demo bot on its own account): an IDLE engine is not an idle server.
    if (a) setBots(a.accounts.flatMap((acc) => (acc.bots ?? []).filter((b) => b.running).map((b) => ({ id: b.id, account: acc.id }))));
  }, []);

  useEffect(() => {
    api<PresetInfo[]>('/api/presets/')
      .then((p) => {
        setPresets(p);
        setPreset((cur) => cur || p[0]?.name || '');
      })
      .catch(() => undefined);
  }, []);
  // A streamed state change is shown at once; the commands it allows are then asked for once.
  const shown = useRef(active);
  shown.current = active;
  useEffect(() => {
    if (!pushed) return;
    setStatus((s) => (s ? { ...s, state: pushed.state } : s));
    if (shown.current) refresh().catch(() => undefined);
  }, [pushed, refresh]);
  // Only while the Live page is shown; refusals and outages are retried later, others ignored.
  usePoll(
    () =>
      refresh().catch((e: unknown) => {
        if (retryable(e)) throw e;
      }),
    ENGINE_POLL_MS,
    active,
  );

  const run = async (command: string) => {
    setBusy(true);
    try {
      const path = `/api/engine/${ROUTES[command] ?? command}`;
      const init = command === 'start' ? { json: { preset, mode } } : command === 'emergency_stop' ? { json: { reason: 'dashboard' } } : {};
      const r = await api<CommandResult>(path, { method: 'POST', ...init });
      setMessage({ text: r.message, error: !r.success });
      setStatus((s) => (s ? { ...s, state: r.state } : s));
    } catch (e) {
      setMessage({ text: (e as Error).message, error: true });
    } finally {
      setBusy(false);
      await refresh().catch(() => undefined);
    }
  };

  const onCommand = (command: string) => {
    if (command === 'emergency_stop') {
      setConfirm({
        title: 'Emergency stop',
        message: 'Halt every bot, engage the kill switch, cancel every working order and close every position at market?',
        confirmLabel: 'Emergency stop',
        danger: true,
        onConfirm: () => void run(command),
      });
    } else if (command === 'start' && mode === 'live') {
      setConfirm({
        title: 'Start LIVE trading',
        message: `Start preset ${preset} with REAL money (live mode)?`,
        confirmLabel: 'Start LIVE',
        danger: true,
        onConfirm: () => void run(command),
      });
    } else void run(command);
  };

  const state = status?.state ?? '…';
  return (
    <section className="panel engine" data-testid="engine">
      <h2>Engine</h2>
      <div className="row wrap">
        <span className={`state s-${state.toLowerCase()}`} data-testid="engine-state">
          {state}
        </span>
        <span className="muted">
          {status?.preset ? `preset ${status.preset}` : 'no preset started'} · {status?.mode ?? ''} {status?.killSwitch ? '· KILL SWITCH' : ''}
        </span>
      </div>
      {bots.length > 0 && (
        <div className="small" data-testid="engine-bots">
          <span className="pos">trading</span>: {bots.map((b) => `bot ${b.id} on account ${b.account}`).join(' · ')}
          {status?.state === 'IDLE' && <span className="muted"> (the engine itself is idle until a preset is started)</span>}
        </div>
      )}
      <div className="row wrap">
        <select value={preset} onChange={(e) => setPreset(e.target.value)} aria-label="preset" disabled={!commands.includes('start')}>
          {presets.map((p) => (
            <option key={p.name} value={p.name} title={p.description}>
              {p.name}
            </option>
          ))}
        </select>
        <div className="seg" role="radiogroup" aria-label="mode">
          {(['paper', 'live'] as const).map((m) => (
            <button key={m} type="button" role="radio" aria-checked={mode === m} className={mode === m ? `on ${m}` : ''} onClick={() => setMode(m)}>
              {m.toUpperCase()}
            </button>
          ))}
        </div>
      </div>
      <div className="row wrap" data-testid="engine-commands">
        {commands.map((c) => (
          <button key={c} type="button" disabled={busy || offline} className={c === 'emergency_stop' ? 'danger' : c === 'start' ? 'primary' : ''} data-command={c} onClick={() => onCommand(c)}>
            {label(c)}
          </button>
        ))}
      </div>
      {message && (
        <div className={message.error ? 'error small' : 'muted small'} data-testid="engine-message">
          {message.text}
        </div>
      )}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </section>
  );
});
