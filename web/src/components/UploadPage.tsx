import { useRef, useState, type FormEvent } from 'react';
import { fmtCount, UNAUTHORIZED_EVENT } from '../api';
import { ProgressBar } from './ProgressBar';

interface Completed {
  status: 'completed';
  success: boolean;
  instrument?: string;
  format?: string;
  total_rows: number;
  uploaded_rows: number;
  skipped_rows: number;
  malformed_rows: number;
  malformed_examples: { line: number; reason: string }[];
  duration: string;
}

interface StreamMessage {
  status: string;
  message?: string;
  batch?: number;
  uploaded?: number;
  skipped?: number;
  error?: string;
  detail?: string;
}

const INSTRUMENTS = ['NQ', 'ES', 'MNQ', 'MES', 'BTC/USDT', 'ETH/USDT'];

/**
 * The instrument a file's name names, when obvious: one name part is a symbol (BTCUSDT-1m-2025-01.csv)
 * or a futures contract of one (NQH5_ticks.csv). The server applies the same rule when no
 * instrument is sent (routes-upload.ts instrumentFromFileName).
 */
export function instrumentFromFileName(name: string): string | undefined {
  const key = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, '');
  const found = new Set<string>();
  for (const part of name.replace(/\.[^.]*$/, '').toUpperCase().split(/[^A-Z0-9]+/).filter(Boolean)) {
    const root = /^([A-Z]{1,4})[FGHJKMNQUVXZ]\d{1,2}$/.exec(part)?.[1];
    const hit = INSTRUMENTS.find((i) => key(i) === part) ?? INSTRUMENTS.find((i) => root !== undefined && key(i) === root);
    if (hit) found.add(hit);
  }
  return found.size === 1 ? [...found][0] : undefined;
}

/** Rows in the file, estimated from the bytes per line of its first 64 KB (for the progress bar). */
async function estimateRows(file: File): Promise<number> {
  const head = await file.slice(0, 65536).text();
  const lines = head.split('\n').length - 1;
  if (lines <= 0) return 1;
  if (file.size <= 65536) return lines;
  return Math.round((file.size / Math.min(file.size, 65536)) * lines);
}

/** Reads an SSE body (`data: {...}` blocks) and calls onMessage for each JSON message. */
export async function readSse(body: ReadableStream<Uint8Array>, onMessage: (m: StreamMessage) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (value) buffer += decoder.decode(value, { stream: true });
    let sep: number;
    while ((sep = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, sep);
      buffer = buffer.slice(sep).replace(/^\r?\n\r?\n/, '');
      const data = block
        .split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      if (data) {
        try {
          onMessage(JSON.parse(data) as StreamMessage);
        } catch {
          onMessage({ status: 'error', error: `unreadable message: ${data.slice(0, 200)}` });
        }
      }
    }
    if (done) return;
  }
}

export function UploadPage() {
  const fileInput = useRef<HTMLInputElement>(null);
  const [instrument, setInstrument] = useState('NQ');
  const [hasHeader, setHasHeader] = useState<'auto' | 'true' | 'false'>('auto');
  const [guessed, setGuessed] = useState<string | null>(null);
  const [skipDuplicates, setSkipDuplicates] = useState(true);
  const [busy, setBusy] = useState(false);
  const [estimate, setEstimate] = useState(0);
  const [progress, setProgress] = useState<{ batch: number; uploaded: number; skipped: number } | null>(null);
  const [status, setStatus] = useState<string>('');
  const [done, setDone] = useState<Completed | null>(null);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const file = fileInput.current?.files?.[0];
    if (!file) {
      setError('Choose a file first.');
      return;
    }
    setBusy(true);
    setError(null);
    setDone(null);
    setProgress(null);
    setStatus('sending…');
    setEstimate(await estimateRows(file));
    // Text fields first: the server then parses the file as it arrives (ticks or bars by its first line).
    const form = new FormData();
    form.append('instrument', instrument);
    form.append('has_header', hasHeader);
    form.append('skip_duplicates', String(skipDuplicates));
    form.append('file', file, file.name);
    try {
      const res = await fetch('/api/upload-tick-data', { method: 'POST', body: form, credentials: 'same-origin', headers: { accept: 'text/event-stream' } });
      if (res.status === 401) window.dispatchEvent(new Event(UNAUTHORIZED_EVENT));
      const type = res.headers.get('content-type') ?? '';
      if (!res.ok || !type.includes('text/event-stream') || !res.body) {
        const text = await res.text();
        let msg = `HTTP ${res.status}`;
        try {
          const b = JSON.parse(text) as { detail?: unknown; error?: string };
          if (typeof b.detail === 'string') msg = b.detail;
          else if (Array.isArray(b.detail)) msg = b.detail.map((d: { msg?: string }) => d.msg ?? '').join('; ');
          else if (b.error) msg = b.error;
        } catch {
          if (text) msg = text.slice(0, 300);
        }
        throw new Error(msg);
      }
      let finished = false;
      await readSse(res.body, (m) => {
        if (m.status === 'started') setStatus(m.message ?? 'started');
        else if (m.status === 'progress') {
          setStatus(`batch ${m.batch ?? '?'}`);
          setProgress({ batch: m.batch ?? 0, uploaded: m.uploaded ?? 0, skipped: m.skipped ?? 0 });
        } else if (m.status === 'completed') {
          finished = true;
          setStatus('completed');
          setDone(m as unknown as Completed);
        } else if (m.status === 'error') {
          finished = true;
          setStatus('error');
          setError(m.error ?? m.message ?? m.detail ?? 'the upload failed');
        }
      });
      if (!finished) setError('The stream ended before the upload completed.');
    } catch (err) {
      setStatus('error');
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const rows = progress ? progress.uploaded + progress.skipped : 0;
  const fraction = done ? 1 : estimate > 0 ? Math.min(0.99, rows / estimate) : 0;
  const label = done
    ? `completed · ${fmtCount(done.total_rows)} rows in ${done.duration}`
    : progress
      ? `${status} · ${fmtCount(rows)} of ~${fmtCount(estimate)} rows`
      : status;

  return (
    <div className="grid">
      <section className="panel span4" data-testid="upload-form">
        <h2>Upload market data</h2>
        <form className="form" onSubmit={(e) => void submit(e)}>
          <label>
            file (tick CSV/TXT, Binance klines or OHLCV; .gz accepted)
            <input
              type="file"
              name="file"
              ref={fileInput}
              data-testid="upload-file"
              onChange={(e) => {
                const found = instrumentFromFileName(e.target.files?.[0]?.name ?? '');
                setGuessed(found ?? null);
                if (found) setInstrument(found);
              }}
            />
          </label>
          <label>
            instrument
            <input name="instrument" list="upload-instruments" value={instrument} onChange={(e) => setInstrument(e.target.value)} />
            {guessed && (
              <span className="small muted" data-testid="upload-guessed">
                taken from the file name
              </span>
            )}
            <datalist id="upload-instruments">
              {INSTRUMENTS.map((i) => (
                <option key={i} value={i} />
              ))}
            </datalist>
          </label>
          <label>
            header row
            <select name="has_header" value={hasHeader} onChange={(e) => setHasHeader(e.target.value as 'auto' | 'true' | 'false')}>
              <option value="auto">detect (a first row of column names is skipped)</option>
              <option value="true">the first row is a header</option>
              <option value="false">no header: every row is data</option>
            </select>
          </label>
          <label className="check">
            <input type="checkbox" name="skip_duplicates" checked={skipDuplicates} onChange={(e) => setSkipDuplicates(e.target.checked)} /> skip duplicates
          </label>
          <div className="row">
            <button type="submit" className="primary" disabled={busy} data-testid="upload-submit">
              Upload
            </button>
          </div>
        </form>
        <p className="muted small">
          Streamed to POST /api/upload-tick-data; progress arrives as Server-Sent Events, one per batch of 10,000 rows. The bar&apos;s total is estimated from the
          file&apos;s size.
        </p>
      </section>
      <section className="panel span8" data-testid="upload-result">
        <h2>Progress</h2>
        {(busy || progress || done || status) && <ProgressBar fraction={fraction} label={label} state={done ? 'done' : error ? 'failed' : 'running'} testId="upload-progress" />}
        {error && (
          <div className="error" role="alert" data-testid="upload-error">
            {error}
          </div>
        )}
        {progress && !done && (
          <div className="muted" data-testid="upload-live">
            batch {progress.batch}: {fmtCount(progress.uploaded)} uploaded, {fmtCount(progress.skipped)} skipped
          </div>
        )}
        {done && (
          <>
            <dl className="kv kv5" data-testid="upload-summary">
              {(
                [
                  ['total rows', done.total_rows],
                  ['uploaded', done.uploaded_rows],
                  ['skipped (duplicates)', done.skipped_rows],
                  ['malformed', done.malformed_rows],
                  ['duration', done.duration],
                  ['instrument', done.instrument ?? instrument],
                  ['format', done.format ?? '—'],
                ] as [string, string | number][]
              ).map(([k, v]) => (
                <div key={k} data-field={k.split(' ')[0]}>
                  <dt>{k}</dt>
                  <dd className={k === 'malformed' && Number(v) > 0 ? 'neg' : ''}>{typeof v === 'number' ? fmtCount(v) : v}</dd>
                </div>
              ))}
            </dl>
            {done.malformed_examples.length > 0 && (
              <>
                <h2 className="gap">Malformed rows (first {done.malformed_examples.length})</h2>
                <table data-testid="upload-malformed">
                  <thead>
                    <tr>
                      <th className="num">line</th>
                      <th>reason</th>
                    </tr>
                  </thead>
                  <tbody>
                    {done.malformed_examples.map((m) => (
                      <tr key={m.line}>
                        <td className="num">{m.line}</td>
                        <td>{m.reason}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            )}
          </>
        )}
        {!busy && !progress && !done && !status && <div className="muted">Choose a file and an instrument, then Upload.</div>}
      </section>
    </div>
  );
}
