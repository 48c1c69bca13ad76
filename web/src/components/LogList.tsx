import { useState, type ReactNode } from 'react';
import { fmtTime } from '../api';

export interface LogLine {
  key: string;
  time: string | number;
  tag: string;
  tagClass: string;
  /** Shown on the line (one row, cut with an ellipsis). */
  summary: ReactNode;
  /** Shown when the line is expanded: its whole text and any detail. */
  detail?: ReactNode;
}

const ms = (t: string | number) => (typeof t === 'number' ? t : Date.parse(t));

/**
 * A log: newest first whatever order the lines come in, one row per line, a click (or Enter)
 * expands a line to its whole text and details; expanded lines stay open across refreshes.
 */
export function LogList({ lines, testid, className = '' }: { lines: readonly LogLine[]; testid?: string; className?: string }) {
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const toggle = (key: string) =>
    setOpen((s) => {
      const next = new Set(s);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });
  const sorted = lines
    .map((l, i) => ({ l, i, t: ms(l.time) }))
    .sort((a, b) => (Number.isNaN(b.t) || Number.isNaN(a.t) ? 0 : b.t - a.t) || a.i - b.i)
    .map((x) => x.l);
  return (
    <ul className={`log loglist ${className}`} data-testid={testid}>
      {sorted.map((l) => {
        const expanded = open.has(l.key);
        return (
          <li key={l.key} className={expanded ? 'open' : ''} data-time={ms(l.time)} data-key={l.key}>
            <button type="button" className="logline" aria-expanded={expanded} onClick={() => toggle(l.key)}>
              <span className="muted">{fmtTime(l.time)}</span> <span className={`tag ${l.tagClass}`}>{l.tag}</span> <span className="logsummary">{l.summary}</span>
            </button>
            {expanded && <div className="logdetail">{l.detail ?? l.summary}</div>}
          </li>
        );
      })}
    </ul>
  );
}
