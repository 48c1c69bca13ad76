import { memo } from 'react';
import { LogList } from './LogList';
import { fmt, positionView, type Account, type Position, type StreamEvent } from '../api';

function describe(e: StreamEvent): string {
  const d = (e.data ?? e) as Record<string, unknown>;
  switch (e.type) {
    case 'TRADE_EXECUTION':
      return `${String(d.direction)} ${String(d.lot)} ${String(d.symbol)} @ ${fmt(d.price as number)} (${String(d.purpose ?? '')})`;
    case 'SCAN_SUMMARY': {
      const symbols = (d.symbols ?? {}) as Record<string, string>;
      return Object.entries(symbols)
        .map(([s, v]) => `${s}: ${v}`)
        .join(' · ');
    }
    case 'ALERT':
      // Operator alerts (stale bridge orders, late or refused fills, position mismatches): their own sentence.
      return `${String(d.kind ?? '')}: ${String(d.message ?? '')}`;
    case 'POSITION_UPDATE': {
      const list = (Array.isArray(d.positions) ? d.positions : []) as Position[];
      if (list.length === 0) return 'no open positions';
      return `${list.length} open: ${list
        .map(positionView)
        .map((p) => `${p.symbol} ${p.direction} ${p.size ?? '?'} @ ${fmt(p.entry)}`)
        .join(' · ')}`;
    }
    case 'ACCOUNT_UPDATE': {
      const list = (Array.isArray(d.accounts) ? d.accounts : [d.account]) as (Account | undefined)[];
      return list
        .filter((a): a is Account => !!a)
        .map((a) => `${a.account_id ?? 'account'}: equity ${fmt(a.equity)} ${a.currency ?? ''} · day ${fmt(a.day_pl)}`)
        .join(' · ');
    }
    default:
      return plain(d);
  }
}

/** Any other event as "field value" words (never raw JSON): its message first, then its plain fields. */
function plain(d: Record<string, unknown>): string {
  const words = (v: unknown): string => (typeof v === 'number' ? fmt(v, Number.isInteger(v) ? 0 : 2) : String(v));
  const lead = ['message', 'reason', 'detail'].map((k) => d[k]).find((v) => typeof v === 'string') as string | undefined;
  const rest = Object.entries(d)
    .filter(([k, v]) => !['type', 'timestamp', 'message', 'reason', 'detail'].includes(k) && v !== null && ['string', 'number', 'boolean'].includes(typeof v))
    .map(([k, v]) => `${k.replace(/_/g, ' ')} ${words(v)}`);
  return [lead, ...rest].filter(Boolean).join(' · ');
}

export const EventLog = memo(function EventLog({ events }: { events: StreamEvent[] }) {
  return (
    <section className="panel events" data-testid="events">
      <h2>
        Events <span className="muted">{events.length}</span>
      </h2>
      <div className="scroll">
        <LogList
          lines={events.map((e, i) => ({
            key: `${e.timestamp}-${e.type}-${events.length - i}`,
            time: e.timestamp,
            tag: e.type.replace(/_/g, ' '),
            tagClass: `t-${e.type.toLowerCase()}`,
            summary: describe(e),
          }))}
        />
      </div>
    </section>
  );
});
