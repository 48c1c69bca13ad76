import { useCallback, useEffect, useState } from 'react';
import { api, fmt, type PresetInfo } from '../api';
import { PresetForm, refusedPath } from './PresetForm';

/** Presets: list, view the whole JSON, edit and PUT (the server validates and names the bad key). */
export function PresetsPanel() {
  const [list, setList] = useState<PresetInfo[]>([]);
  const [name, setName] = useState<string | null>(null);
  const [text, setText] = useState('');
  const [saved, setSaved] = useState('');
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const [busy, setBusy] = useState(false);

  const loadList = useCallback(() => {
    api<PresetInfo[]>('/api/presets/')
      .then((p) => {
        setList(p);
        setName((cur) => cur ?? p[0]?.name ?? null);
      })
      .catch((e: Error) => setMessage({ text: e.message, error: true }));
  }, []);
  useEffect(loadList, [loadList]);

  useEffect(() => {
    if (!name) return;
    api<{ name: string; config: unknown }>(`/api/presets/${encodeURIComponent(name)}`)
      .then((p) => {
        const t = JSON.stringify(p.config, null, 2);
        setText(t);
        setSaved(t);
        setMessage(null);
      })
      .catch((e: Error) => setMessage({ text: e.message, error: true }));
  }, [name]);

  const save = async () => {
    if (!name) return;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      setMessage({ text: `Not valid JSON: ${(e as Error).message}`, error: true });
      return;
    }
    setBusy(true);
    try {
      const p = await api<{ name: string; config: unknown }>(`/api/presets/${encodeURIComponent(name)}`, { method: 'PUT', json: body });
      const t = JSON.stringify(p?.config ?? body, null, 2);
      setText(t);
      setSaved(t);
      setMessage({ text: `Saved ${name}.`, error: false });
      loadList();
    } catch (e) {
      setMessage({ text: (e as Error).message, error: true });
    } finally {
      setBusy(false);
    }
  };

  const dirty = text !== saved;
  let parsed: Record<string, never> | null = null;
  try {
    const v: unknown = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) parsed = v as Record<string, never>;
  } catch {
    parsed = null;
  }
  const path = message?.error ? refusedPath(message.text) : null;
  const refused = path && message ? { path, message: message.text.slice(path.length + 1).trim() } : null;
  return (
    <section className="panel span12" data-testid="presets">
      <h2>Presets</h2>
      <div className="split">
        <div className="scroll tall">
          <table data-testid="preset-list">
            <thead>
              <tr>
                <th>name</th>
                <th>strategy</th>
                <th className="num">risk/trade</th>
                <th className="num">max pos</th>
              </tr>
            </thead>
            <tbody>
              {list.map((p) => (
                <tr key={p.name} className={p.name === name ? 'sel' : ''} onClick={() => setName(p.name)} style={{ cursor: 'pointer' }} title={p.description} data-preset={p.name}>
                  <td>{p.name}</td>
                  <td className="muted">{p.strategy_type}</td>
                  <td className="num">{fmt(p.risk_per_trade * 100, 2)} %</td>
                  <td className="num">{p.max_positions}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div>
          <div className="row">
            <strong>{name ?? '—'}</strong>
            {dirty && <span className="tag" style={{ color: 'var(--warn)' }}>edited</span>}
            <span className="spacer" />
            <button type="button" disabled={!dirty || busy} onClick={() => setText(saved)}>
              Revert
            </button>
            <button type="button" className="primary" disabled={!dirty || busy} onClick={() => void save()} data-testid="preset-save">
              Save (PUT)
            </button>
          </div>
          {parsed && <PresetForm value={parsed} onChange={(next) => { setText(JSON.stringify(next, null, 2)); if (message?.error) setMessage(null); }} refused={refused} />}
          <div className="muted small gap">The whole preset as JSON (also for settings the form does not show):</div>
          <textarea className="code" spellCheck={false} value={text} onChange={(e) => setText(e.target.value)} aria-label="preset JSON" data-testid="preset-json" />
          {message && (
            <div className={message.error ? 'error' : 'pos'} role={message.error ? 'alert' : 'status'} data-testid="preset-message">
              {message.text}
            </div>
          )}
          <div className="muted small">The body is deep-merged into the preset and validated; the server refuses while the engine runs (409) and names the bad key (422).</div>
        </div>
      </div>
    </section>
  );
}
