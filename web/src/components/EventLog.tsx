import { fmt, fmtTime, type StreamEvent } from '../api';

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
    default:
      return JSON.stringify(d).slice(0, 160);
  }
}

export function EventLog({ events }: { events: StreamEvent[] }) {
  return (
    <section className="panel events" data-testid="events">
      <h2>
        Events <span className="muted">{events.length}</span>
      </h2>
      <ul className="scroll log">
        {events.map((e, i) => (
          <li key={`${e.timestamp}-${i}`}>
            <span className="muted">{fmtTime(e.timestamp)}</span> <span className={`tag t-${e.type.toLowerCase()}`}>{e.type.replace(/_/g, ' ')}</span> {describe(e)}
          </li>
        ))}
      </ul>
    </section>
  );
}
